import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskFor, pasteMouth, wideMask, type MouthRegion } from '../../src/video/mouth-paste.js';

const width = 200;
const height = 160;
const region: MouthRegion = [100, 80, 96, 0];

/** A frame lit from the left: brightness falls across it by `slope` a pixel. */
function litFrame(slope: number): Uint8Array {
  const frame = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 180 - slope * x;
      frame.set([v, v * 0.8, v * 0.7], (y * width + x) * 3);
    }
  }
  return frame;
}

test('a mouth from evenly lit footage takes on the light falling across the frame', () => {
  const frame = litFrame(0.5);
  const before = Uint8Array.from(frame);
  // The atlas mouth: the same skin, lit evenly (its mean matches the frame's middle).
  const mouth = new Uint8Array(128 * 128 * 3);
  for (let i = 0; i < 128 * 128; i++) mouth.set([130, 104, 91], i * 3);
  pasteMouth(frame, width, height, region, { rgb: mouth });
  let worst = 0;
  for (let i = 0; i < frame.length; i++) {
    worst = Math.max(worst, Math.abs((frame[i] ?? 0) - (before[i] ?? 0)));
  }
  // With one mean shift the mouth's left edge would be 20 levels too dark and its right edge
  // 20 too light (0.5 a pixel over ±40 pixels): a flat oval on a lit face.
  assert.ok(worst <= 2, `the paste departs from the light by ${worst}`);
});

test('what the mouth shows inside is kept: only the light is matched', () => {
  const frame = litFrame(0.5);
  const mouth = new Uint8Array(128 * 128 * 3);
  for (let i = 0; i < 128 * 128; i++) mouth.set([130, 104, 91], i * 3);
  // A dark mouth line across the middle of the crop.
  for (let u = 40; u < 88; u++)
    for (let v = 62; v < 66; v++) mouth.set([40, 20, 20], (v * 128 + u) * 3);
  pasteMouth(frame, width, height, region, { rgb: mouth });
  const at = (x: number, y: number) => frame[(y * width + x) * 3] ?? 0;
  // The line lands at frame y 80 + (64 − 64) · 96 / 128 ≈ 80, darker than the skin by ~90.
  assert.ok(at(100, 80) < at(100, 70) - 70, `line ${at(100, 80)}, skin ${at(100, 70)}`);
});

/** Mouth points with only the two corners (at indices 0 and 1) set, `half` from the middle. */
const cornersAt = (half: number) => ({
  rgb: new Uint8Array(128 * 128 * 3),
  points: Float32Array.from([64 - half, 60, 64 + half, 60]),
});

test('the mask reaches just past the widest mouth corners, and no wider than before', () => {
  const mask = maskFor([cornersAt(24), cornersAt(30)], 128, [0, 1]);
  const expected = (30 * 1.15) / Math.sqrt(0.7);
  assert.ok(Math.abs((mask.radius[0] ?? 0) - expected) < 1e-9, `radius ${mask.radius[0]}`);
  assert.deepEqual(maskFor([cornersAt(60)], 128, [0, 1]).radius, wideMask.radius);
  assert.deepEqual(maskFor([{ rgb: new Uint8Array(0) }], 128, [0, 1]), wideMask);
});

test('beside the corners the frame keeps its own skin (stubble, smile lines)', () => {
  const textured = () => {
    const frame = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++)
      frame.fill((((i % width) + i / width) | 0) % 2 ? 150 : 110, i * 3, i * 3 + 3);
    return frame;
  };
  const mouth = new Uint8Array(128 * 128 * 3).fill(130);
  const narrow = textured();
  pasteMouth(
    narrow,
    width,
    height,
    region,
    { rgb: mouth },
    128,
    maskFor([cornersAt(26)], 128, [0, 1]),
  );
  const wide = textured();
  pasteMouth(wide, width, height, region, { rgb: mouth });
  const original = textured();
  // 34 px right of the mouth's middle: outside a mask fitted to corners 26 crop px (19 px) out.
  const at = (frame: Uint8Array) => [
    ...frame.subarray((80 * width + 134) * 3, (80 * width + 138) * 3),
  ];
  assert.deepEqual(at(narrow), at(original), 'the narrow mask leaves the skin beside the mouth');
  assert.notDeepEqual(at(wide), at(original), 'the wide one pastes over it');
});
