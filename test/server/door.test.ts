import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Server } from '../../src/server/types.js';
import type { ProductPayloads } from '../../src/server/product.js';
import { samplesDir } from '../../src/util/paths.js';
import {
  bearer,
  memoryLog,
  startProductServer,
  startTestServer,
  waitFor,
  type LogLine,
  type TestServer,
} from '../helpers/harness.js';

/**
 * Client input refused at the door with a 4xx, never a 500: the real product server with its log
 * captured, since "no server error logged" is part of what is checked.
 */
const logged: LogLine[] = [];
let server: TestServer<ProductPayloads>;
let app: Server;
let dataDir: string;
let token: string;
let port: number;
const uploadPath = '/api/2dvh/v1/material/file/upload';
const videoArea = '/api/2dvh/v1/material/video';
const tmpDir = () => path.join(dataDir, 'tmp');
const partials = (): string[] => (fs.existsSync(tmpDir()) ? fs.readdirSync(tmpDir()) : []);
const serverErrors = () => logged.filter((line) => line.level >= 50);

before(async () => {
  server = await startProductServer(
    { ANIMA_UPLOAD_LIMIT: String(64 * 1024 * 1024) },
    memoryLog(logged),
  );
  app = server.app;
  dataDir = server.config.dataDir;
  port = Number(new URL(await server.listen()).port);
  token = (await server.newApp('door')).token;
});
after(() => server.close());

function multipartHead(name: string): Buffer {
  return Buffer.from(
    `--b\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
}

test('a body that is not the multipart its Content-Type says is a 3333 naming the body', async () => {
  const bodies: Array<[string, string]> = [
    [
      'multipart/form-data; boundary=xyz',
      '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nhi\r\n--abc--\r\n',
    ],
    ['multipart/form-data; boundary=xyz', '{"file": "not multipart at all"}'],
    ['multipart/form-data', 'no boundary anywhere'],
  ];
  for (const [contentType, payload] of bodies) {
    const response = await app.inject({
      method: 'POST',
      url: uploadPath,
      headers: { ...bearer(token), 'content-type': contentType },
      payload,
    });
    assert.equal(response.statusCode, 400, `${contentType}: ${response.body}`);
    assert.equal(response.json().code, 3333);
    assert.equal(response.json().detail[0].field, 'body');
    assert.match(response.json().detail[0].problem, /multipart\/form-data/);
  }
  assert.deepEqual(serverErrors(), []);
});

test('an upload cut short by the client leaves no file and logs no server error', async () => {
  const png = fs.readFileSync(path.join(samplesDir, 'image', 'astronaut.png'));
  const head = multipartHead('a.png');
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    `POST ${uploadPath} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${head.length + png.length + 8}\r\n\r\n`,
  );
  socket.write(Buffer.concat([head, png.subarray(0, png.length / 2)]));
  // The server is writing the upload when the client goes away.
  await waitFor(
    () => partials().some((name) => fs.statSync(path.join(tmpDir(), name)).size > 0) || undefined,
    20_000,
    'the upload to reach the disk',
  );
  socket.destroy();
  const outcome = await waitFor(
    () => logged.find((line) => line.level >= 50 || line.msg === 'upload cut short by the client'),
    20_000,
    'the server to give up on the upload',
  );
  assert.equal(outcome.msg, 'upload cut short by the client');
  assert.ok(outcome.level < 50);
  assert.deepEqual(partials(), []);
  assert.deepEqual(serverErrors(), []);
});

test('an upload of a refused type is answered from its first bytes, long before the body is sent', async () => {
  const total = 50 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 'plain text, not media. ');
  const head = multipartHead('notes.mp4');
  const tail = Buffer.from('\r\n--b--\r\n');
  const request = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: uploadPath,
    headers: {
      ...bearer(token),
      'content-type': 'multipart/form-data; boundary=b',
      'content-length': String(head.length + total + tail.length),
    },
  });
  // The server closes the connection once it has answered: later writes may fail.
  request.on('error', () => undefined);
  let sent = 0;
  let sentWhenAnswered = -1;
  const answer = new Promise<{ status: number; body: { code: number } }>((resolve) => {
    request.on('response', (response) => {
      sentWhenAnswered = sent;
      let text = '';
      response.on('data', (data: Buffer) => (text += data.toString()));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as { code: number } }),
      );
    });
  });
  request.write(head);
  while (sent < total && sentWhenAnswered < 0 && !request.destroyed) {
    sent += chunk.length;
    if (!request.write(chunk)) {
      await new Promise<void>((resolve) => {
        const go = (): void => {
          request.off('drain', go).off('close', go);
          resolve();
        };
        request.on('drain', go).on('close', go);
        void answer.then(go);
      });
    }
  }
  if (sentWhenAnswered < 0 && !request.destroyed) request.end(tail);
  const { status, body } = await answer;
  assert.equal(status, 400);
  assert.equal(body.code, 3002);
  assert.ok(
    sentWhenAnswered >= 0 && sentWhenAnswered < total / 2,
    `answered after ${sentWhenAnswered} of ${total} bytes`,
  );
  await waitFor(() => (partials().length === 0 ? true : undefined), 20_000, 'tmp/ to be empty');
  assert.deepEqual(serverErrors(), []);
});

test('page and size out of range are a 3333 naming the field, not a 500', async () => {
  for (const query of [
    'page=99999999999999999999',
    'page=1000001',
    'page=0',
    'size=101',
    'size=0',
  ]) {
    const response = await app.inject({
      method: 'GET',
      url: `${videoArea}/list?${query}`,
      headers: bearer(token),
    });
    assert.equal(response.statusCode, 400, `${query}: ${response.body}`);
    assert.equal(response.json().code, 3333);
    assert.equal(response.json().detail[0].field, query.split('=')[0]);
  }
  const first = await app.inject({
    method: 'GET',
    url: `${videoArea}/list?page=1000000`,
    headers: bearer(token),
  });
  assert.equal(first.statusCode, 200);
  assert.deepEqual(serverErrors(), []);
});

test('text that is not well-formed Unicode is refused at the door, naming the field', async () => {
  const create = (payload: string) =>
    app.inject({
      method: 'POST',
      url: `${videoArea}/create`,
      headers: { ...bearer(token), 'content-type': 'application/json' },
      payload,
    });
  // A param the door would otherwise take: the render would fail at the end, on the title.
  const param = {
    digital_role: { face_feature_id: 'abc_s1' },
    tts_query: { content: 'Hello there.' },
  };
  const json = JSON.stringify({ videoName: 'LONE', param }).replace('LONE', 'a\\ud800b');
  const cases: Array<[string, string]> = [
    [json, 'videoName'],
    [
      JSON.stringify({ videoName: 'ok', param, userData: 'x' }).replace('"x"', '"\\udc00"'),
      'userData',
    ],
    [
      JSON.stringify({ videoName: 'ok', param: JSON.stringify(param).replace('Hello', '\\ud83d') }),
      'param.tts_query.content',
    ],
  ];
  for (const [payload, field] of cases) {
    const response = await create(payload);
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json().code, 3333);
    assert.deepEqual(response.json().detail, [
      { field, problem: 'is not well-formed Unicode text (it holds a lone UTF-16 surrogate)' },
    ]);
  }
  // A path the URL decoder cannot read is answered in the envelope too.
  const badPath = await app.inject({
    method: 'GET',
    url: `${videoArea}/%ED%A0%80`,
    headers: bearer(token),
  });
  assert.equal(badPath.statusCode, 400);
  assert.deepEqual(badPath.json().detail, [
    { field: 'url', problem: 'is not valid percent-encoded UTF-8' },
  ]);
  const listed = await app.inject({
    method: 'GET',
    url: `${videoArea}/list`,
    headers: bearer(token),
  });
  assert.equal(listed.json().data.total, 0, 'no task was created');
});

test('health checks are never rate limited; the token route still is', async () => {
  const limited = await startTestServer({ ANIMA_RATE_LIMIT: '3' });
  try {
    for (let i = 0; i < 10; i++) {
      const health = await limited.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200, `health check ${i + 1}: ${health.body}`);
    }
    const created = await limited.platform.auth.createApp({ name: 'limited' });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const timestamp = String(Date.now());
      const response = await limited.app.inject({
        method: 'POST',
        url: '/api/uc/v1/access/api/token',
        payload: { appId: created.appId, timestamp, sign: '0'.repeat(32), grantType: 'sign' },
      });
      codes.push(response.json<{ code: number }>().code);
    }
    // The health checks before did not use up the address's budget: three wrong signs are
    // answered as such, the fourth request is refused by the limit.
    assert.deepEqual(codes, [1001, 1001, 1001, 1429]);
  } finally {
    await limited.close();
  }
});

test('a callbackUrl the server would not call is refused at submit, on every create route', async () => {
  const media = 'https://media.example.com';
  const speech = { tts_config: { language: 'en-US' }, tts_query: { content: 'Hello there.' } };
  const routes: Array<[string, object]> = [
    [
      `${videoArea}/create`,
      { videoName: 'cb', param: { digital_role: { face_feature_id: 'abc_s1' }, ...speech } },
    ],
    [
      '/api/2dvh/v1/material/single/image/video/create',
      { videoName: 'cb', param: { imageUrl: `${media}/face.png`, ...speech } },
    ],
    ['/api/2dvh/v1/material/avatar/create', { name: 'cb', videoUrl: `${media}/clip.mp4` }],
    [
      '/api/voice/v1/model/create',
      { name: 'cb', language: 'en-US', audioUrls: [`${media}/voice.wav`] },
    ],
  ];
  const refused: Array<[string, number]> = [
    ['http://127.0.0.1:9/hook', 3011],
    ['http://10.1.2.3/hook', 3011],
    ['http://[::ffff:192.168.1.1]/hook', 3011],
    ['ftp://callbacks.example.com/hook', 3010],
    ['http://user:secret@callbacks.example.com/hook', 3010],
    ['not a url', 3010],
  ];
  for (const [url, body] of routes) {
    for (const [callbackUrl, code] of refused) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: bearer(token),
        payload: { ...body, callbackUrl },
      });
      assert.equal(response.statusCode, 400, `${url} ${callbackUrl}: ${response.body}`);
      assert.equal(response.json().code, code, `${url} ${callbackUrl}: ${response.body}`);
      assert.equal(response.json().detail[0].field, 'callbackUrl');
    }
  }
  const listed = await app.inject({
    method: 'GET',
    url: `${videoArea}/list`,
    headers: bearer(token),
  });
  assert.equal(listed.json().data.total, 0, 'no task was created');
  // A public name is taken (one that does not resolve yet too: delivery checks it again).
  const taken = await app.inject({
    method: 'POST',
    url: '/api/2dvh/v1/material/avatar/create',
    headers: bearer(token),
    payload: {
      name: 'cb',
      videoUrl: `${media}/clip.mp4`,
      callbackUrl: 'https://callbacks.example.com/hook',
    },
  });
  assert.equal(taken.statusCode, 200, taken.body);
});
