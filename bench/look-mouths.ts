/**
 * bench/look-mouths: an avatar's atlas mouths and the way between two of them, as one picture to
 * look at: each row goes from one shape to the next in eight steps, as the renderer makes them.
 *
 *   node dist/bench/look-mouths.js <clip or photo> <out.png> [from>to ...]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FacePool } from '../src/engines/face/face-pool.js';
import { encodePng } from '../src/media/png.js';
import { readPackage } from '../src/avatar/model-package.js';
import { loadAvatar } from '../src/video/avatar-frames.js';
import { MouthMorph } from '../src/video/mouth-morph.js';
import { openSpeech } from '../src/voice/speech.js';
import type { Viseme } from '../src/avatar/visemes.js';
import { buildBenchModel } from './video-rig.js';

const [source, out, ...pairs] = process.argv.slice(2);
if (!source || !out) throw new Error('usage: look-mouths <clip or photo> <out.png> [from>to ...]');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-look-'));
const pool = new FacePool(2);
const speech = openSpeech({ ttsMaxChars: 1000, asrMaxStreams: 1, festivalProcesses: 1 });
try {
  const zip = await buildBenchModel(dir, path.resolve(source), pool, speech.asr);
  const avatar = await loadAvatar(await readPackage(zip), dir);
  const size = avatar.mouthSize;
  const rows = (pairs.length > 0 ? pairs : ['closed>open', 'closed>mid', 'slight>round']).map(
    (pair) => pair.split('>') as [Viseme, Viseme],
  );
  const steps = 9;
  const width = size * steps;
  const picture = new Uint8Array(width * size * (rows.length + 1) * 3);
  const put = (rgb: Uint8Array, col: number, row: number) => {
    for (let y = 0; y < size; y++) {
      picture.set(
        rgb.subarray(y * size * 3, (y + 1) * size * 3),
        ((row * size + y) * width + col * size) * 3,
      );
    }
  };
  [...avatar.mouths.entries()].slice(0, steps).forEach(([, mouth], col) => put(mouth.rgb, col, 0));
  const morph = new MouthMorph(size);
  rows.forEach(([from, to], row) => {
    const a = avatar.mouths.get(from);
    const b = avatar.mouths.get(to);
    if (!a || !b) throw new Error(`no ${from} or ${to}`);
    for (let k = 0; k < steps; k++) {
      put(morph.between(from, a, to, b, k / (steps - 1)).rgb, k, row + 1);
    }
  });
  fs.writeFileSync(out, encodePng(picture, width, size * (rows.length + 1)));
  process.stdout.write(
    `atlas (${[...avatar.mouths.keys()].join(' ')}) and ${rows.length} morphs: ${out}; ` +
      `blinks ${avatar.blinkLandmarks ? 'drawn (the base has none)' : "the base's own"}; ` +
      `paste mask ${avatar.mask.radius.map((r) => r.toFixed(1)).join(' x ')}\n`,
  );
  avatar.close();
} finally {
  await pool.close();
  await speech.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
