import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { manifestPath, readPackage, writePackage } from '../../src/avatar/model-package.js';
import { tempDir } from '../helpers/harness.js';
import { rejection } from '../helpers/media.js';

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const file = () => path.join(dir, `model-${counter++}.zip`);
const manifest = Buffer.from(JSON.stringify({ version: 1, face_feature_id: 'x_s1' }));

async function rawZip(add: (zip: yazl.ZipFile) => void): Promise<string> {
  const zip = new yazl.ZipFile();
  add(zip);
  zip.end();
  const target = file();
  await pipeline(zip.outputStream, fs.createWriteStream(target));
  return target;
}

test('a package round-trips with its manifest', async () => {
  const target = file();
  await writePackage(target, [
    { name: manifestPath, data: manifest },
    { name: 'assets/preview.png', data: Buffer.from('png bytes') },
  ]);
  const model = await readPackage(target);
  assert.deepEqual(model.manifest, { version: 1, face_feature_id: 'x_s1' });
  assert.equal(model.entries.get('assets/preview.png')?.toString(), 'png bytes');
});

test('not a zip, or a zip without assets/ and models/, is the FAQ error 6001', async () => {
  const notZip = file();
  fs.writeFileSync(notZip, 'this is not a zip at all');
  assert.equal((await rejection(readPackage(notZip))).code, 6001);
  const noModels = await rawZip((zip) => zip.addBuffer(Buffer.from('x'), 'assets/a.png'));
  assert.equal((await rejection(readPackage(noModels))).code, 6001);
  const noAssets = await rawZip((zip) => zip.addBuffer(manifest, manifestPath));
  assert.equal((await rejection(readPackage(noAssets))).code, 6001);
});

test('zip slip, symbolic links, bombs and absurd entry counts are refused', async () => {
  // Written as "xx/evil.txt", then renamed in place to "../evil.txt" (same length).
  const slip = await rawZip((zip) => {
    zip.addBuffer(manifest, manifestPath);
    zip.addBuffer(Buffer.from('x'), 'xx/evil.txt');
  });
  const bytes = fs.readFileSync(slip);
  fs.writeFileSync(
    slip,
    Buffer.from(bytes.toString('latin1').replaceAll('xx/evil.txt', '../evil.txt'), 'latin1'),
  );
  assert.equal((await rejection(readPackage(slip))).code, 8001);

  const link = await rawZip((zip) => {
    zip.addBuffer(manifest, manifestPath);
    zip.addBuffer(Buffer.from('/etc/passwd'), 'assets/link.png', { mode: 0o120777 });
  });
  assert.equal((await rejection(readPackage(link))).code, 8001);

  const bomb = await rawZip((zip) => {
    zip.addBuffer(manifest, manifestPath);
    zip.addBuffer(Buffer.alloc(20 * 1024 * 1024), 'assets/zeros.bin');
  });
  await assert.rejects(readPackage(bomb), /zip bomb/);

  const many = await rawZip((zip) => {
    zip.addBuffer(manifest, manifestPath);
    for (let i = 0; i < 20; i++) zip.addBuffer(Buffer.from('x'), `assets/${i}.png`);
  });
  await assert.rejects(
    readPackage(many, { maxEntries: 10, maxTotalBytes: 1e9, maxRatio: 200 }),
    /21 entries, more than 10/,
  );
});
