import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { LocalBlobStore, type BlobStore } from '../../src/files/blob-store.js';
import { S3BlobStore } from '../../src/files/s3-blob-store.js';
import { newHexId } from '../../src/util/ids.js';
import { tempDir } from '../helpers/harness.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

// One contract, two stores: a directory, and an S3-compatible server. No S3-compatible server
// installs from Debian or npm as a real product here, so the S3 store is tested against s3rver
// (an S3 server for tests, from npm) in this process, reached over HTTP path-style as MinIO would be.

const dir = tempDir('anima-blobs-');
let s3: TestS3 | undefined;
let s3Store: S3BlobStore | undefined;

before(async () => {
  s3 = await startS3(dir);
  s3Store = new S3BlobStore({
    endpoint: s3.endpoint,
    bucket: 'anima',
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    prefix: 'files/',
    cacheDir: path.join(dir, 'cache'),
  });
});
after(async () => {
  s3Store?.close();
  await s3?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

let made = 0;
function localFile(content: string): string {
  const file = path.join(dir, `in-${++made}`);
  fs.writeFileSync(file, content);
  return file;
}

const stores: [string, () => BlobStore][] = [
  ['a directory', () => new LocalBlobStore(path.join(dir, 'local'))],
  [
    'S3',
    () => {
      if (!s3Store) throw new Error('the S3 server was not started');
      return s3Store;
    },
  ],
];

for (const [name, open] of stores) {
  describe(`blobs in ${name}`, () => {
    test('a file put in reads back whole and by range; the local file is taken', async () => {
      const store = open();
      await store.check();
      const id = newHexId();
      const file = localFile('0123456789abcdefghij');
      await store.putFile(id, file);
      assert.equal(fs.existsSync(file), false, 'the local file was moved in');
      assert.equal(await text(await store.read(id)), '0123456789abcdefghij');
      assert.equal(await text(await store.read(id, { start: 5, end: 9 })), '56789');
      assert.equal(await text(await store.read(id, { start: 15, end: 19 })), 'fghij');
    });

    test('tools get a path with the bytes; deleting removes them (and is no error twice)', async () => {
      const store = open();
      const id = newHexId();
      await store.putFile(id, localFile('model bytes'));
      const local = await store.localPath(id);
      assert.equal(fs.readFileSync(local, 'utf8'), 'model bytes');
      assert.equal(await store.localPath(id), local, 'the same path again');
      await store.delete(id);
      await store.delete(id);
      assert.equal(fs.existsSync(local), false, 'no copy left behind');
      await assert.rejects(async () => text(await store.read(id)));
    });
  });
}

test('an S3 store that cannot be reached fails its check, naming where', async () => {
  const store = new S3BlobStore({
    endpoint: 'http://127.0.0.1:9',
    bucket: 'anima',
    region: 'us-east-1',
    accessKeyId: 'x',
    secretAccessKey: 'y',
    prefix: '',
    cacheDir: path.join(dir, 'nowhere'),
  });
  try {
    assert.match(store.where, /127\.0\.0\.1:9 bucket anima/);
    await assert.rejects(store.check());
  } finally {
    store.close();
  }
});
