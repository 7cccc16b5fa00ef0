import assert from 'node:assert/strict';
import { test } from 'node:test';
import { polygonCoverage, remap, warpMap } from '../../src/media/warp.js';

function gradient(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      rgb.set([x * 4, y * 4, (x * y) % 256], (y * width + x) * 3);
    }
  }
  return rgb;
}

const corners = (w: number, h: number) => [0, 0, w, 0, 0, h, w, h, w / 2, h / 2];

test('control points that stay put leave the picture as it is', () => {
  const rgb = gradient(40, 30);
  const points = corners(40, 30);
  const out = remap(rgb, 40, 30, warpMap(points, points, 40, 30, 4));
  assert.deepEqual(out, rgb);
});

test('points all shifted by (3, 2) shift the picture by (3, 2)', () => {
  const rgb = gradient(40, 30);
  const src = corners(40, 30);
  const dest = src.map((v, i) => v + (i % 2 === 0 ? 3 : 2));
  const out = remap(rgb, 40, 30, warpMap(dest, src, 40, 30, 4));
  for (const [x, y] of [
    [10, 10],
    [25, 20],
    [35, 5],
  ] as const) {
    const at = (y * 40 + x) * 3;
    const from = ((y - 2) * 40 + (x - 3)) * 3;
    assert.deepEqual([...out.subarray(at, at + 3)], [...rgb.subarray(from, from + 3)], `${x},${y}`);
  }
});

test('a moved point pulls its neighbourhood and leaves fixed points where they were', () => {
  const size = 64;
  const rgb = new Uint8Array(size * size * 3);
  rgb.set([255, 255, 255], (20 * size + 20) * 3); // a bright dot at (20, 20)
  const src = [...corners(size, size), 20.5, 20.5];
  const dest = [...corners(size, size), 30.5, 26.5];
  const out = remap(rgb, size, size, warpMap(dest, src, size, size, 1));
  assert.ok((out[(26 * size + 30) * 3] ?? 0) > 200, 'the dot went where its point went');
  assert.ok((out[(20 * size + 20) * 3] ?? 0) < 50, 'and left its old place');
});

test('polygon coverage: a square covers its area, a soft edge, nothing outside', () => {
  const coverage = polygonCoverage([10, 10, 30, 10, 30, 20, 10, 20], 40, 30);
  const area = coverage.reduce((sum, v) => sum + v, 0);
  assert.ok(Math.abs(area - 200) < 2, `area ${area}`);
  assert.equal(coverage[15 * 40 + 20], 1);
  assert.equal(coverage[5 * 40 + 5], 0);
});
