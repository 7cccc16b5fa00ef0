/**
 * What the server log says about voice clients: a voice spoken in place of an unknown one is a
 * warning, and a client's WebSocket fault (an oversized frame) is a warning without a stack trace,
 * never a server error. The server runs with a real pino logger writing into memory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { VoiceSocket } from '../../sdk/voice-socket.js';
import { computeSign } from '../../src/auth/sign.js';
import { loadConfig } from '../../src/config/config.js';
import { openPlatform, type Platform } from '../../src/platform.js';
import { buildServer } from '../../src/server/app.js';
import { productRoutes } from '../../src/server/product.js';
import type { Server } from '../../src/server/types.js';
import { productHandlers, type ProductPayloads } from '../../src/tasks/handlers.js';
import { tempDir } from '../helpers/harness.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const lines: LogLine[] = [];
const dataDir = tempDir();
let platform: Platform<ProductPayloads>;
let app: Server;
let base: string;
let token: string;

before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as LogLine);
      }
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const config = loadConfig({ env: { ANIMA_DATA: dataDir, ANIMA_PORT: '0' } });
  platform = openPlatform(config, { handlers: productHandlers, lock: true });
  app = await buildServer(platform, { routes: productRoutes, logger });
  await app.ready();
  await platform.start();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const created = platform.auth.createApp({ name: 'log' });
  const timestamp = String(Date.now());
  const response = await app.inject({
    method: 'POST',
    url: '/api/uc/v1/access/api/token',
    payload: {
      appId: created.appId,
      timestamp,
      sign: computeSign(created.appId, timestamp, created.appKey),
      grantType: 'sign',
    },
  });
  token = response.json<{ data: { accessToken: string } }>().data.accessToken;
});
after(async () => {
  await app.close();
  await platform.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const warnings = () => lines.filter((line) => line.level === 40);
const errors = () => lines.filter((line) => line.level >= 50);

test('a hosted voice id spoken by the default voice is a warning in the log, on the socket and for a video', async () => {
  const socket = await VoiceSocket.open(base, token);
  const answer = await socket.start({ type: 'TTS3', tts: { qid: '8wfZav:AEA_Z10M' } });
  assert.equal(answer?.voice, 'en-US-slt');
  socket.close();
  assert.ok(
    warnings().some((line) => /voice 8wfZav:AEA_Z10M is not known here/.test(line.msg)),
    JSON.stringify(lines),
  );

  const response = await app.inject({
    method: 'POST',
    url: '/api/2dvh/v1/material/video/create',
    headers: { authorization: `Bearer ${token}` },
    payload: {
      videoName: 'hosted',
      param: {
        digital_role: { face_feature_id: 'not-built' },
        tts_config: { id: 'hosted:QQ12', language: 'en-GB' },
        tts_query: { content: 'Hello there.' },
      },
    },
  });
  const data = response.json<{ data: { taskId: string; warnings?: string[] } }>().data;
  assert.ok(data.taskId);
  assert.equal(data.warnings?.length, 1);
  assert.match(data.warnings?.[0] ?? '', /hosted:QQ12 is not known here, so en-GB-slt/);
  assert.ok(warnings().some((line) => line.taskId === data.taskId && /hosted:QQ12/.test(line.msg)));
});

test('a 5 MiB frame closes the socket and is logged as the client’s fault, without a stack', async () => {
  const socket = await VoiceSocket.open(base, token);
  assert.equal((await socket.start({ type: 'ASR5' }))?.status, 'ok');
  const before = lines.length;
  socket.sendAudio(Buffer.alloc(5 * 1024 * 1024));
  await socket.closed;
  const deadline = Date.now() + 5000;
  while (lines.length === before && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const logged = lines.slice(before);
  assert.deepEqual(
    errors().filter((line) => lines.indexOf(line) >= before),
    [],
  );
  const fault = logged.find((line) => line.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
  assert.equal(fault?.level, 40, JSON.stringify(logged));
  assert.doesNotMatch(JSON.stringify(fault), /stack|\n {4}at /);
});
