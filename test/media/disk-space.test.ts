import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AnimaApiError, AnimaClient } from '../../sdk/client.js';
import { unexpectedError } from '../../src/errors/unexpected.js';
import { runFfmpeg } from '../../src/media/process.runner.js';
import type { ProductPayloads } from '../../src/server/product.js';
import { samplesDir } from '../../src/util/paths.js';
import { startOrigin, startProductServer, tempDir, type TestServer } from '../helpers/harness.js';

const clip = path.join(samplesDir, 'video', 'grid_lrwp9a.mpg');

/**
 * A 4 MB tmpfs, when this machine lets the test mount one (it needs root); the real ENOSPC
 * tests are skipped with the reason otherwise.
 */
const small = tempDir('anima-full-');
let mounted = false;
let cannotMount = '';
before(() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small], { stdio: 'pipe' });
    mounted = true;
  } catch (error) {
    cannotMount = `cannot mount a small tmpfs here (${String(error).split('\n')[0]}): skipped`;
  }
});
after(() => {
  if (mounted) execFileSync('umount', [small]);
  fs.rmSync(small, { recursive: true, force: true });
});

test('a write that meets a full disk is 5001 (HTTP 507), with a fix for the operator', async (t) => {
  if (!mounted) return t.skip(cannotMount);
  const target = path.join(small, 'too-big.bin');
  const failure = await fs.promises.writeFile(target, Buffer.alloc(8 * 1024 * 1024)).then(
    () => assert.fail('8 MB fitted on a 4 MB disk'),
    (error: unknown) => error,
  );
  const answered = unexpectedError(failure);
  assert.equal(answered.code, 5001);
  assert.equal(answered.entry.http, 507);
  assert.equal(answered.message, "the server's data disk is full");
  assert.match(answered.fix, /free space on the disk of the server's data directory/);
  assert.doesNotMatch(answered.fix, /^Retry/);

  // ffmpeg says it only in its stderr: the same code.
  const encoded = await runFfmpeg([
    ...['-f', 'lavfi', '-i', 'anoisesrc=d=120:r=48000', '-c:a', 'pcm_s16le'],
    path.join(small, 'noise.wav'),
  ]).then(
    () => assert.fail('11 MB of WAV fitted on a 4 MB disk'),
    (error: unknown) => error,
  );
  assert.equal(unexpectedError(encoded).code, 5001);
  fs.rmSync(target, { force: true });
  fs.rmSync(path.join(small, 'noise.wav'), { force: true });
});

test('an upload of unknown length that fills the data disk answers 5001, not 5000', async (t) => {
  if (!mounted) return t.skip(cannotMount);
  const dataDir = path.join(small, 'data');
  const server = await startProductServer({ ANIMA_DATA: dataDir, ANIMA_DISK_RESERVE: '0' });
  try {
    const base = await server.listen();
    const { token } = await server.newApp();
    const boundary = 'anima-boundary';
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // Chunked: no Content-Length, so no check can know the size before the disk fills.
      const request = http.request(`${base}/api/2dvh/v1/material/file/upload`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'transfer-encoding': 'chunked',
        },
      });
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mpg"\r\n` +
          'Content-Type: video/mpeg\r\n\r\n',
      );
      // A real clip's first bytes, so the type sniffed from them passes; then more than fits.
      request.write(fs.readFileSync(clip));
      for (let i = 0; i < 8; i++) request.write(Buffer.alloc(1024 * 1024, i));
      request.end(`\r\n--${boundary}--\r\n`);
    });
    assert.equal(answer.status, 507, answer.body);
    const body = JSON.parse(answer.body) as { code: number; message: string; fix: string };
    assert.equal(body.code, 5001);
    assert.ok(!answer.body.includes(small), answer.body);
    // The partial upload did not stay behind to keep the disk full.
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'tmp')), []);
  } finally {
    await server.close();
  }
});

/** The reserve set above any disk's free space: every check refuses, and no mount is needed. */
let server: TestServer<ProductPayloads>;
let client: AnimaClient;
let origin: http.Server;
let originUrl = '';
const videoArea = '/api/2dvh/v1/material/video';
const avatarArea = '/api/2dvh/v1/material/avatar';

before(async () => {
  server = await startProductServer({
    ANIMA_DISK_RESERVE: String(2 ** 52),
    ANIMA_FETCH_ALLOW_PRIVATE: 'true',
  });
  const created = await server.platform.auth.createApp({ name: 'disk' });
  client = new AnimaClient(await server.listen(), created.appId, created.appKey);
  ({ server: origin, url: originUrl } = await startOrigin((_request, response) => {
    response.writeHead(200, { 'content-type': 'video/mpeg' }).end(fs.readFileSync(clip));
  }));
});
after(async () => {
  await server.close();
  origin.close();
});

test('with too little free space, an upload of known length is refused before it is read', async () => {
  const refused = await client.upload(clip).then(
    () => assert.fail('the upload was taken'),
    (error: unknown) => error,
  );
  assert.ok(refused instanceof AnimaApiError, String(refused));
  assert.equal(refused.httpStatus, 507);
  assert.equal(refused.code, 5002);
  assert.match(refused.message, /^the server's data disk has \d+ MB free; this needs about 1 MB/);
  assert.match(refused.fix ?? '', /free at least \d+ MB .*ANIMA_DISK_RESERVE/);
  const stored = path.join(server.config.dataDir, 'files');
  assert.ok(!fs.existsSync(stored) || fs.readdirSync(stored).length === 0, 'nothing was stored');
});

test('with too little free space, a render and an avatar build fail at their start with 5002', async () => {
  const render = await client.call<{ taskId: string }>('POST', `${videoArea}/create`, {
    videoName: 'no room',
    param: {
      digital_role: { face_feature_id: 'never-opened_s1' },
      tts_config: { language: 'en-US' },
      tts_query: { content: 'There is no room for this video.' },
    },
  });
  const rendered = await client.waitForTask(videoArea, render.taskId);
  assert.equal(rendered.status, 'failed');
  assert.equal(rendered.errorCode, 5002, JSON.stringify(rendered));

  const build = await client.call<{ taskId: string }>('POST', `${avatarArea}/create`, {
    name: 'no room',
    videoUrl: `${originUrl}/clip.mpg`,
  });
  const built = await client.waitForTask(avatarArea, build.taskId);
  assert.equal(built.status, 'failed');
  assert.equal(built.errorCode, 5002, JSON.stringify(built));
  assert.equal(built.stage, 'probe');
});
