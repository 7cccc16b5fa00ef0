import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AnimaClient } from '../../sdk/client.js';
import { samplesDir } from '../../src/util/paths.js';
import { bearer, startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
let client: AnimaClient;
let token: string;
let base: string;
const clip = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');

before(async () => {
  server = await startTestServer({ ANIMA_UPLOAD_LIMIT: String(1024 * 1024) });
  base = await server.listen();
  const app = await server.newApp();
  token = app.token;
  client = new AnimaClient(base, app.appId, app.appKey);
});
after(() => server.close());

async function uploadRaw(bytes: Buffer, name: string, field = 'file') {
  const form = new FormData();
  form.append(field, new Blob([bytes]), name);
  const response = await fetch(`${base}/api/2dvh/v1/material/file/upload`, {
    method: 'POST',
    headers: bearer(token),
    body: form,
  });
  return {
    status: response.status,
    body: (await response.json()) as { code: number; message: string; data: { fileId: string } },
  };
}

test('an upload is streamed to disk, sniffed from its content, and downloadable by its signed link', async () => {
  const uploaded = await client.upload(clip);
  assert.match(uploaded.fileId, /^[0-9a-f]{32}$/);
  assert.equal(uploaded.mimeType, 'video/mpeg');
  assert.equal(uploaded.size, fs.statSync(clip).size);
  const download = await fetch(uploaded.url);
  assert.equal(download.status, 200);
  assert.equal(download.headers.get('accept-ranges'), 'bytes');
  assert.ok(Buffer.from(await download.arrayBuffer()).equals(fs.readFileSync(clip)));
  const info = await client.call<{ fileId: string; url: string }>(
    'GET',
    `/api/2dvh/v1/material/file/${uploaded.fileId}`,
  );
  assert.equal(info.fileId, uploaded.fileId);
});

test('the content decides the type: a PNG named .mp4 is an image; text is refused', async () => {
  const png = fs.readFileSync(path.join(samplesDir, 'image', 'astronaut.png'));
  const disguised = await uploadRaw(png, 'movie.mp4');
  assert.equal(disguised.body.code, 0);
  const info = disguised.body.data as unknown as { mimeType: string; name: string };
  assert.equal(info.mimeType, 'image/png');
  assert.equal(info.name, 'movie.png');
  const text = await uploadRaw(Buffer.from('just some text, not media'), 'clip.mp4');
  assert.equal(text.status, 400);
  assert.equal(text.body.code, 3002);
  const wrongField = await uploadRaw(png, 'a.png', 'upload');
  assert.equal(wrongField.body.code, 3006);
});

test('an upload over the limit is refused and leaves nothing behind', async () => {
  const big = Buffer.concat([fs.readFileSync(clip), fs.readFileSync(clip), fs.readFileSync(clip)]);
  const response = await uploadRaw(big, 'big.mpg');
  assert.equal(response.status, 413);
  assert.equal(response.body.code, 3003);
  assert.match(response.body.message, /1048576 bytes/);
  const tmp = path.join(server.config.dataDir, 'tmp');
  assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], []);
});

test('range requests get 206 with the right bytes, and 416 past the end', async () => {
  const uploaded = await client.upload(clip);
  const whole = fs.readFileSync(clip);
  const part = await fetch(uploaded.url, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${whole.length}`);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(100, 200)));
  const tail = await fetch(uploaded.url, { headers: { range: 'bytes=-10' } });
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 10)));
  const open = await fetch(uploaded.url, { headers: { range: `bytes=${whole.length - 5}-` } });
  assert.equal((await open.arrayBuffer()).byteLength, 5);
  const past = await fetch(uploaded.url, { headers: { range: `bytes=${whole.length}-` } });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get('content-range'), `bytes */${whole.length}`);
  assert.equal(((await past.json()) as { code: number }).code, 3005);
});

test('tampered, expired and foreign links are refused; ids never name paths', async () => {
  const uploaded = await client.upload(clip);
  const url = new URL(uploaded.url);
  const tampered = new URL(url);
  tampered.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 1));
  assert.equal((await fetch(tampered)).status, 403);
  const expiredFile = await server.platform.files.get(
    uploaded.fileId,
    (await server.platform.auth.listApps())[0]?.appId ?? '',
  );
  const expired = server.platform.files.signedUrl(expiredFile, Date.now() - 1000);
  assert.equal((await fetch(expired)).status, 403);
  for (const id of ['..%2F..%2Fanima.db', '..', uploaded.fileId.toUpperCase()]) {
    const response = await fetch(`${base}/api/files/v1/${id}/x?expires=9999999999&signature=00`);
    assert.ok([403, 404].includes(response.status), `${id}: ${response.status}`);
  }
  const other = await server.newApp('other');
  const foreign = await server.app.inject({
    method: 'GET',
    url: `/api/2dvh/v1/material/file/${uploaded.fileId}`,
    headers: bearer(other.token),
  });
  assert.equal(foreign.statusCode, 404);
  const traversal = await server.app.inject({
    method: 'GET',
    url: '/api/2dvh/v1/material/file/..%2F..%2Fetc%2Fpasswd',
    headers: bearer(token),
  });
  assert.equal(traversal.json().code, 3001);
});

test('the sweeper removes expired files and their links stop working', async () => {
  const uploaded = await client.upload(clip);
  const stored = await server.platform.files.localPath(uploaded.fileId);
  assert.ok(fs.existsSync(stored));
  await server.platform.sql.run('UPDATE files SET expires_at = ? WHERE id = ?', [
    Date.now() - 1,
    uploaded.fileId,
  ]);
  assert.ok((await server.platform.files.sweep()) >= 1);
  assert.ok(!fs.existsSync(stored));
  assert.equal((await fetch(uploaded.url)).status, 403);
});

test('a JSON body over the limit gets 1413; too many requests get 1429 with Retry-After', async () => {
  const limited = await startTestServer({ ANIMA_BODY_LIMIT: '2048', ANIMA_RATE_LIMIT: '5' });
  try {
    const { token: limitedToken } = await limited.newApp();
    const big = await limited.app.inject({
      method: 'POST',
      url: '/api/test/v1/task/create',
      headers: bearer(limitedToken),
      payload: { type: 'test.echo', params: { value: 'x'.repeat(4096) } },
    });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 1413);
    let last = big;
    for (let i = 0; i < 6; i++) {
      last = await limited.app.inject({
        method: 'GET',
        url: '/api/test/v1/task/list',
        headers: bearer(limitedToken),
      });
    }
    assert.equal(last.statusCode, 429);
    assert.equal(last.json().code, 1429);
    assert.ok(Number(last.headers['retry-after']) > 0);
    // The limit is per app: another app is not affected.
    const { token: otherToken } = await limited.newApp('other');
    const other = await limited.app.inject({
      method: 'GET',
      url: '/api/test/v1/task/list',
      headers: bearer(otherToken),
    });
    assert.equal(other.statusCode, 200);
  } finally {
    await limited.close();
  }
});

test('the OpenAPI document and its UI are served without a token', async () => {
  const json = await server.app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(json.statusCode, 200);
  const document = json.json();
  assert.ok(document.paths['/api/uc/v1/access/api/token']);
  assert.ok(document.paths['/api/2dvh/v1/material/video/{taskId}']);
  const ui = await server.app.inject({ method: 'GET', url: '/docs' });
  assert.ok([200, 302].includes(ui.statusCode));
  const unknown = await server.app.inject({ method: 'GET', url: '/api/nothing' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().code, 1404);
});
