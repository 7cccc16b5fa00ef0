import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MouthMorph } from '../../src/video/mouth-morph.js';
import { blendMouths, type MouthImage } from '../../src/video/mouth-paste.js';

const size = 128;
const skin = [200, 160, 140] as const;
const lip = [180, 80, 80] as const;
const inside = [30, 10, 10] as const;
const xs = Array.from({ length: 11 }, (_, k) => 34 + k * 6);

/** Lip contours (outer top, inner top, inner bottom, outer bottom) as rows of the crop. */
type Rows = readonly [number, number, number, number];

/** A drawn mouth: skin, two lips of `rows`, the inside between them dark; its contour points. */
function drawMouth([outerTop, innerTop, innerBottom, outerBottom]: Rows): MouthImage {
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const mouth = x >= 30 && x <= 98;
      const colour = !mouth
        ? skin
        : y >= outerTop && y < innerTop
          ? lip
          : y >= innerTop && y < innerBottom
            ? inside
            : y >= innerBottom && y < outerBottom
              ? lip
              : skin;
      rgb.set(colour, (y * size + x) * 3);
    }
  }
  const points = Float32Array.from(
    [outerTop, innerTop, innerBottom, outerBottom].flatMap((row) => xs.flatMap((x) => [x, row])),
  );
  return { rgb, points };
}

/** The rows of column 64 nearer `colour` than anything else of skin, lip and inside. */
function runsOf(mouth: MouthImage, colour: readonly number[]): [number, number][] {
  const near = (at: number, c: readonly number[]) =>
    Math.hypot(...[0, 1, 2].map((k) => (mouth.rgb[at + k] ?? 0) - (c[k] ?? 0)));
  const runs: [number, number][] = [];
  for (let y = 0; y < size; y++) {
    const at = (y * size + 64) * 3;
    const nearest = [skin, lip, inside].sort((a, b) => near(at, a) - near(at, b))[0];
    if (nearest !== colour) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === y - 1) last[1] = y;
    else runs.push([y, y]);
  }
  return runs;
}

// Closed: lips meeting in a two-row seam at 63–64. Open: the inside showing from 60 to 84.
const closed = drawMouth([56, 63, 65, 72]);
const open = drawMouth([52, 60, 84, 92]);

test('halfway between closed and open is one mouth, its outlines where the points say', () => {
  const half = new MouthMorph(size).between('closed', closed, 'open', open, 0.5);
  // Halfway: outer top 54, inner top 61.5, inner bottom 74.5, outer bottom 82.
  const dark = runsOf(half, inside);
  assert.equal(dark.length, 1, `one dark inside, not ${JSON.stringify(dark)}`);
  const [top, bottom] = dark[0] ?? [0, 0];
  assert.ok(
    Math.abs(top - 61.5) <= 1.5 && Math.abs(bottom + 1 - 74.5) <= 1.5,
    `inside ${top}–${bottom}`,
  );
  const lips = runsOf(half, lip);
  assert.equal(lips.length, 2, `an upper and a lower lip, not ${JSON.stringify(lips)}`);
  assert.ok(Math.abs((lips[0]?.[0] ?? 0) - 54) <= 1.5, `upper lip from ${lips[0]?.[0]}`);
  assert.ok(Math.abs((lips[1]?.[1] ?? 0) + 1 - 82) <= 1.5, `lower lip to ${lips[1]?.[1]}`);
});

test('a cross-fade of the same two mouths shows both outlines (what the morph replaces)', () => {
  const faded = blendMouths(closed, open, 0.5, new Uint8Array(size * size * 3));
  const lips = runsOf(faded, lip);
  const dark = runsOf(faded, inside);
  const atHalfway =
    lips.length === 2 &&
    dark.length === 1 &&
    Math.abs((dark[0]?.[0] ?? 0) - 61.5) <= 1.5 &&
    Math.abs((lips[0]?.[0] ?? 0) - 54) <= 1.5;
  assert.equal(atHalfway, false, 'the cross-fade does not pass the morph test');
});

test('morphs are reused and the ends are the atlas images themselves', () => {
  const morph = new MouthMorph(size);
  assert.equal(morph.between('closed', closed, 'open', open, 0), closed);
  assert.equal(morph.between('closed', closed, 'open', open, 1), open);
  const a = morph.between('closed', closed, 'open', open, 0.3);
  assert.equal(morph.between('closed', closed, 'open', open, 0.301), a);
  assert.notEqual(morph.between('closed', closed, 'open', open, 0.7), a);
});

test('mouths without points (older models) cross-fade', () => {
  const bare = (mouth: MouthImage): MouthImage => ({ rgb: mouth.rgb });
  const half = new MouthMorph(size).between('closed', bare(closed), 'open', bare(open), 0.5);
  const faded = blendMouths(closed, open, 0.5, new Uint8Array(size * size * 3));
  assert.deepEqual(half.rgb, faded.rgb);
});
