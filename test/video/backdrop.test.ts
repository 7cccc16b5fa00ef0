import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { decodeFrames } from '../../src/media/decode.js';
import { probeMedia } from '../../src/media/probe.js';
import { samplesDir } from '../../src/util/paths.js';
import { backdropKey } from '../../src/video/backdrop.js';

async function firstFrame(file: string) {
  const info = await probeMedia(file);
  const size = { width: info.video?.width ?? 0, height: info.video?.height ?? 0 };
  for await (const frame of decodeFrames(file, size, { fps: 25 })) {
    return { rgb: Uint8Array.from(frame.rgb), ...size };
  }
  assert.fail(`no frame in ${file}`);
}

test('a GRID speaker stands before a plain blue wall: keyed by its colour', async () => {
  for (const name of ['grid_lrwp9a', 'grid_bbaf2n']) {
    const { rgb, width, height } = await firstFrame(path.join(samplesDir, 'video', `${name}.mpg`));
    const key = backdropKey(rgb, width, height);
    assert.ok(key, `${name}: no key`);
    const [r, g, b] = [key.colour >> 16, (key.colour >> 8) & 255, key.colour & 255];
    assert.ok(b > r + 40 && g > r, `${name}: the wall's colour ${r},${g},${b} is blue`);
    assert.ok(key.similarity >= 0.07 && key.similarity <= 0.15, `${key.similarity}`);
  }
});

test('a photo with a scene behind, or a grey wall, is not keyed', async () => {
  const photo = await firstFrame(path.join(samplesDir, 'image', 'astronaut.png'));
  assert.equal(backdropKey(photo.rgb, photo.width, photo.height), undefined);
  const grey = new Uint8Array(320 * 240 * 3).fill(128);
  assert.equal(backdropKey(grey, 320, 240), undefined);
});
