/**
 * What the server log says about voice clients: a voice spoken in place of an unknown one is a
 * warning, and a client's WebSocket fault (an oversized frame) is a warning without a stack trace,
 * never a server error. The server runs with a real pino logger writing into memory.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VoiceSocket } from '../../sdk/voice-socket.js';
import type { ProductPayloads } from '../../src/server/product.js';
import {
  memoryLog,
  startProductServer,
  type LogLine,
  type TestServer,
} from '../helpers/harness.js';

const lines: LogLine[] = [];
let server: TestServer<ProductPayloads>;
let base: string;
let token: string;

before(async () => {
  server = await startProductServer({}, memoryLog(lines));
  base = await server.listen();
  token = (await server.newApp('log')).token;
});
after(() => server.close());

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

  const response = await server.app.inject({
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
