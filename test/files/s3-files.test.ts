import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AnimaClient } from '../../sdk/client.js';
import { samplesDir } from '../../src/util/paths.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/harness.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

// The server with its files in an S3-compatible bucket (s3rver, an S3 server for tests from npm:
// no S3-compatible product installs from Debian or npm here), reached over HTTP as MinIO would be.

const dir = tempDir('anima-s3-');
const clip = path.join(samplesDir, 'video', 'grid_bbaf2n.mpg');
let s3: TestS3;
let server: TestServer;
let client: AnimaClient;

const s3Env = (bucket = 'anima') => ({
  ...s3.env,
  ANIMA_S3_BUCKET: bucket,
  ANIMA_S3_PREFIX: 'test/',
});

before(async () => {
  s3 = await startS3(dir);
  server = await startTestServer(s3Env());
  const base = await server.listen();
  const app = await server.newApp();
  client = new AnimaClient(base, app.appId, app.appKey);
});
after(async () => {
  await server.close();
  await s3.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('uploads go to the bucket and download through signed links, whole and by range', async () => {
  const bytes = fs.readFileSync(clip);
  const uploaded = await client.upload(clip);
  assert.equal(uploaded.size, bytes.length);
  assert.equal(
    fs.existsSync(path.join(server.config.dataDir, 'files')),
    false,
    'no bytes kept in the data directory',
  );
  const whole = await fetch(uploaded.url);
  assert.equal(whole.status, 200);
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(bytes));
  const part = await fetch(uploaded.url, { headers: { range: 'bytes=1000-1999' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${bytes.length}`);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 2000)));
  const tail = await fetch(uploaded.url, { headers: { range: 'bytes=-100' } });
  assert.equal(tail.status, 206);
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 100)));

  // Tools (ffmpeg, the model reader) get a copy cached on this machine.
  const local = await server.platform.files.localPath(uploaded.fileId);
  assert.ok(local.startsWith(path.join(server.config.dataDir, 'cache')), local);
  assert.ok(fs.readFileSync(local).equals(bytes));
});

test('a bucket that cannot be reached stops the start with one line naming it', async () => {
  await assert.rejects(startTestServer({ ...s3Env('missing-bucket') }), (error: Error) => {
    assert.match(
      error.message,
      /^the file store \(http:\/\/127\.0\.0\.1:\d+ bucket missing-bucket\) cannot be used: no such bucket/,
    );
    return true;
  });
});
