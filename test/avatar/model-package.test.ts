import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { manifestPath, readPackage } from '../../src/avatar/model-package.js';
import { writeZip } from '../../src/storage/zip-writer.js';
import { tempDir } from '../helpers/harness.js';
import { rejection } from '../helpers/media.js';

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const file = () => path.join(dir, `model-${counter++}.zip`);
/** The least manifest the renderer can use: the fields it reads, naming files that are there. */
const validManifest = {
  version: 1,
  face_feature_id: 'x_s1',
  base: { video: 'assets/base.mp4', width: 64, height: 64, frames: 1 },
  mouth_regions: [[32, 40, 16, 0]],
  atlas: { size: 32, images: [{ viseme: 'closed', file: 'assets/mouths/closed.png' }] },
};
const manifest = Buffer.from(JSON.stringify(validManifest));
const namedFiles = ['assets/base.mp4', 'assets/mouths/closed.png'];

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
  await writeZip(target, [
    { name: manifestPath, data: manifest },
    { name: 'assets/preview.png', data: Buffer.from('png bytes') },
    ...namedFiles.map((name) => ({ name, data: Buffer.from(name) })),
  ]);
  const model = await readPackage(target);
  assert.deepEqual(model.manifest, validManifest);
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
    readPackage(many, { maxEntries: 10, maxTotalBytes: 1e9, maxRatio: 200, maxTotalRatio: 20 }),
    /21 entries, more than 10/,
  );
});

/** Deflate's quickest level: zeros still shrink a thousand times, in a fraction of the time. */
const fastest = { compressionLevel: 1 };

test('a thousand entries of 1 MiB of zeros, each too small to judge alone, are refused unread', async () => {
  // The archive: 1000 × 1 MiB of zeros, about 1 MB compressed, 1 GiB inflated.
  const thousand = await rawZip((zip) => {
    zip.addBuffer(manifest, manifestPath);
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 1000; i++) zip.addBuffer(zeros, `assets/${i}.bin`, fastest);
  });
  const refused = await rejection(readPackage(thousand));
  assert.equal(refused.code, 8001);
  assert.match(refused.message, /1001 entries, more than 256/);

  // Under the entry count, the same zeros are refused by the ratio of the whole package.
  const hundred = await rawZip((zip) => {
    zip.addBuffer(manifest, manifestPath);
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 100; i++) zip.addBuffer(zeros, `assets/${i}.bin`, fastest);
  });
  const bomb = await rejection(readPackage(hundred));
  assert.equal(bomb.code, 8001);
  assert.match(bomb.message, /its 101 entries inflate \d+ times: a zip bomb/);

  // And whatever the ratio, the declared total is bounded before an entry is read.
  const large = await rawZip((zip) => {
    zip.addBuffer(manifest, manifestPath);
    for (let i = 0; i < 4; i++) zip.addBuffer(Buffer.alloc(1024 * 1024, i), `assets/${i}.bin`);
  });
  const limits = {
    maxEntries: 256,
    maxTotalBytes: 3 * 1024 * 1024,
    maxRatio: 200,
    maxTotalRatio: 1e9,
  };
  assert.match(
    (await rejection(readPackage(large, limits))).message,
    /inflates to more than 3145728 bytes/,
  );
});

test('a manifest that lacks what the renderer reads is refused, naming the field, not a crash', async () => {
  const withManifest = (value: unknown, files = namedFiles) =>
    rawZip((zip) => {
      zip.addBuffer(Buffer.from(JSON.stringify(value)), manifestPath);
      for (const name of files) zip.addBuffer(Buffer.from(name), name);
    });
  // JSON leaves an undefined field out.
  const noWidth = { ...validManifest.base, width: undefined };
  const cases: [unknown, RegExp][] = [
    [
      { version: 1, face_feature_id: 'x_s1' },
      /must have required properties base, mouth_regions, atlas/,
    ],
    [{ ...validManifest, base: noWidth }, /base: must have required properties width/],
    [
      { ...validManifest, mouth_regions: [[1, 2]] },
      /mouth_regions\.0: must not have fewer than 4 items/,
    ],
    [{ ...validManifest, atlas: { size: 'big', images: [] } }, /atlas\.size: must be integer/],
    [{ ...validManifest, base: { ...validManifest.base, width: 1e6 } }, /base\.width: must be/],
  ];
  for (const [value, words] of cases) {
    const refused = await rejection(readPackage(await withManifest(value)));
    assert.equal(refused.code, 8001, refused.message);
    assert.match(refused.message, /^avatar model zip refused: its manifest is invalid: /);
    assert.match(refused.message, words);
  }
  const missing = await rejection(
    readPackage(await withManifest(validManifest, ['assets/base.mp4'])),
  );
  assert.match(missing.message, /the file assets\/mouths\/closed\.png it names is missing/);
});
