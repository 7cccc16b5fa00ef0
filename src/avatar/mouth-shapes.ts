/**
 * Mouth shapes the source never shows, made by warping one it does show: the lips move along the
 * face mesh's lip points (jaw down, corners in or out), the nose and the crop's border stay put,
 * and the opening that appears is filled with a mouth's inside (dark, upper teeth, the tongue
 * for th and l) in colours taken from the speaker's own lips.
 */
import { polygonCoverage, remap, warpMap } from '../media/warp.js';
import type { Viseme } from './visemes.js';

/** Mesh points: the lips' outer and inner contours, corner to corner. */
const outerUpper = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291];
const outerLower = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291];
const innerUpper = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
const innerLower = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];
const corners = new Set([61, 291, 78, 308]);
/** The chin and the skin between lip and chin: they follow the jaw. */
const jaw = [18, 200, 199, 175, 152, 148, 176, 149, 150, 377, 400, 378, 379, 83, 313, 201, 421];
/** The nose does not move when the mouth does. */
const fixed = [1, 2, 4, 97, 98, 326, 327, 164, 167, 393];

/** Where the interocular distance sits in a mouth crop (the crop is 1.1 of it wide). */
const cropPerInterOcular = 1.1;

/** A mouth the warp starts from: its crop, and where the mesh points fall in it. */
export interface MouthImage {
  readonly rgb: Uint8Array;
  readonly size: number;
  /** 468 (x, y) pairs in crop pixels. */
  readonly points: Float32Array;
}

/** The shape to make, in the face-size units of MouthMeasures (inner-lip gap and corner width). */
export interface MouthTarget {
  readonly viseme: Viseme;
  readonly openNorm: number;
  readonly widthNorm: number;
}

/** Classes that show the upper teeth when the lips part. */
const teethShow: ReadonlySet<Viseme> = new Set(['slight', 'mid', 'open', 'wide', 'fv', 'tongue']);

function point(points: Float32Array, index: number): [number, number] {
  return [points[index * 2] ?? 0, points[index * 2 + 1] ?? 0];
}

/** The mean colour of the crop around some points (a 3×3 patch each). */
function meanColour(image: MouthImage, indices: readonly number[]): [number, number, number] {
  const sum = [0, 0, 0];
  let count = 0;
  for (const index of indices) {
    const [x, y] = point(image.points, index);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const px = Math.round(x + dx);
        const py = Math.round(y + dy);
        if (px < 0 || py < 0 || px >= image.size || py >= image.size) continue;
        const at = (py * image.size + px) * 3;
        for (let c = 0; c < 3; c++) sum[c] = (sum[c] ?? 0) + (image.rgb[at + c] ?? 0);
        count++;
      }
    }
  }
  return count === 0
    ? [128, 80, 80]
    : [(sum[0] ?? 0) / count, (sum[1] ?? 0) / count, (sum[2] ?? 0) / count];
}

/** The y of a contour (a list of mesh points, left to right) at x, by linear interpolation. */
function contourY(points: Float32Array, contour: readonly number[], x: number): number {
  const xy = contour.map((index) => point(points, index)).sort((a, b) => a[0] - b[0]);
  const first = xy[0] ?? [0, 0];
  if (x <= first[0]) return first[1];
  for (let i = 1; i < xy.length; i++) {
    const a = xy[i - 1] ?? first;
    const b = xy[i] ?? first;
    if (x <= b[0]) return a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0] || 1);
  }
  return (xy[xy.length - 1] ?? first)[1];
}

/** Where every control point goes to make the target shape; returns [src, dest] point lists. */
function moveLips(
  image: MouthImage,
  target: MouthTarget,
): { src: number[]; dest: number[]; moved: Float32Array } {
  const { points, size } = image;
  const interOcular = size / cropPerInterOcular;
  const [lx, ly] = point(points, 61);
  const [rx, ry] = point(points, 291);
  const centreX = (lx + rx) / 2;
  const halfWidth = Math.max(1, Math.hypot(rx - lx, ry - ly) / 2);
  const gap = Math.hypot(
    point(points, 13)[0] - point(points, 14)[0],
    point(points, 13)[1] - point(points, 14)[1],
  );
  const open = target.openNorm * interOcular - gap;
  const widthNow = (halfWidth * 2) / interOcular;
  const scale = Math.min(1.4, Math.max(0.6, target.widthNorm / Math.max(1e-3, widthNow)));
  const rounding = Math.max(0, 1 - scale);
  const moved = Float32Array.from(points);
  const src: number[] = [];
  const dest: number[] = [];
  const margin = size * 0.08;
  const within = (x: number, y: number) =>
    x > margin && y > margin && x < size - margin && y < size - margin;
  const place = (index: number, x: number, y: number) => {
    const [sx, sy] = point(points, index);
    if (!within(sx, sy) || !within(x, y)) return;
    src.push(sx, sy);
    dest.push(x, y);
    moved[index * 2] = x;
    moved[index * 2 + 1] = y;
  };
  const lower = new Set([...outerLower, ...innerLower]);
  const outer = new Set([...outerUpper, ...outerLower]);
  for (const index of new Set([...outerUpper, ...outerLower, ...innerUpper, ...innerLower])) {
    const [x, y] = point(points, index);
    const across = Math.min(1, Math.abs(x - centreX) / halfWidth);
    // Rounded lips open evenly across; spread ones mostly in the middle.
    const profile = rounding > 0 ? Math.sqrt(1 - across * across) : 1 - across * across;
    const nx = centreX + (x - centreX) * scale;
    if (corners.has(index)) {
      place(index, nx, y + open * 0.2);
      continue;
    }
    const share = 0.25 + 0.75 * profile;
    const pout = outer.has(index) ? rounding * 0.12 * interOcular * profile : 0;
    place(
      index,
      nx,
      lower.has(index) ? y + open * 0.78 * share + pout : y - open * 0.22 * share - pout,
    );
  }
  for (const index of jaw) {
    const [x, y] = point(points, index);
    place(index, centreX + (x - centreX) * (1 + (scale - 1) * 0.3), y + open * 0.6);
  }
  for (const index of fixed) {
    const [x, y] = point(points, index);
    place(index, x, y);
  }
  // The crop's edge stays where it is, so the mouth blends back into the face.
  for (let along = 0; along <= size; along += size / 16) {
    for (const [x, y] of [
      [along, 0],
      [along, size],
      [0, along],
      [size, along],
    ] as const) {
      src.push(x, y);
      dest.push(x, y);
    }
  }
  return { src, dest, moved };
}

const luma = (rgb: readonly number[]) =>
  0.299 * (rgb[0] ?? 0) + 0.587 * (rgb[1] ?? 0) + 0.114 * (rgb[2] ?? 0);

function innerPolygon(points: Float32Array): number[] {
  return [
    ...innerUpper.flatMap((index) => point(points, index)),
    ...[...innerLower].reverse().flatMap((index) => point(points, index)),
  ];
}

function gapOf(points: Float32Array): number {
  return Math.hypot(
    point(points, 13)[0] - point(points, 14)[0],
    point(points, 13)[1] - point(points, 14)[1],
  );
}

/**
 * The mouth of `image` warped into the target shape. A mouth that opens wider than the source is
 * painted inside: upper teeth (the speaker's own colour when the source shows them), the dark of
 * the mouth, the tongue for th and l. A mouth that closes gets a lip seam.
 */
export function synthesiseMouth(image: MouthImage, target: MouthTarget): Uint8Array {
  const { size, points } = image;
  const interOcular = size / cropPerInterOcular;
  const { src, dest, moved } = moveLips(image, target);
  const out = remap(image.rgb, size, size, warpMap(dest, src, size, size, 2));
  const gapBefore = gapOf(points);
  const gapAfter = gapOf(moved);
  const lips = meanColour(image, [0, 17, 37, 267, 84, 314]);
  const polygon = innerPolygon(moved);
  const coverage = polygonCoverage(polygon, size, size);
  const blend = (at: number, colour: readonly number[], alpha: number) => {
    for (let c = 0; c < 3; c++) {
      out[at + c] = Math.round((out[at + c] ?? 0) * (1 - alpha) + (colour[c] ?? 0) * alpha);
    }
  };
  if (gapAfter < gapBefore * 1.1) {
    // Closing: the squeezed inside becomes the dark line where the lips meet.
    // Closing: what the source showed between the lips is squeezed to a line; lips meet over it.
    if (gapAfter < 3) {
      const seam = lips.map((v) => v * 0.6);
      const edge = (index: number, dy: number) => [
        point(moved, index)[0],
        point(moved, index)[1] + dy,
      ];
      const line = polygonCoverage(
        [
          ...innerUpper.flatMap((index) => edge(index, -2)),
          ...[...innerLower].reverse().flatMap((index) => edge(index, 2)),
        ],
        size,
        size,
      );
      line.forEach((cover, i) => cover > 0 && blend(i * 3, seam, cover * 0.85));
    }
    return out;
  }

  const skin = meanColour(image, [164, 18, 200]);
  const light = Math.min(1.15, Math.max(0.5, luma(skin) / 160));
  const teeth = [208, 200, 188].map((v) => v * light);
  const tongue = lips.map((v) => Math.min(255, v * 0.95 + 20));
  const [lx] = point(moved, 78);
  const [rx] = point(moved, 308);
  const centreX = (lx + rx) / 2;
  const halfWidth = Math.max(1, Math.abs(rx - lx) / 2);
  const toothHeight = target.viseme === 'fv' ? Infinity : 0.07 * interOcular;
  // A source open already shows its own teeth below the upper lip: they are kept (warped) and
  // only the new depth below them is painted.
  const keep = gapBefore >= 4 ? gapBefore * 0.8 : 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const cover = coverage[y * size + x] ?? 0;
      if (cover <= 0) continue;
      const px = x + 0.5;
      const py = y + 0.5;
      const top = contourY(moved, innerUpper, px);
      const bottom = contourY(moved, innerLower, px);
      const height = Math.max(1, bottom - top);
      const depth = (py - top) / height;
      const across = Math.min(1, Math.abs(px - centreX) / halfWidth);
      // The mouth's dark, deepest in the middle.
      const shown = keep > 0 ? Math.min(1, Math.max(0, (py - top - keep) / 2)) : 1;
      if (shown <= 0) continue;
      let colour = lips.map((v) => v * (0.3 - 0.15 * (1 - across) * Math.sin(Math.PI * depth)));
      if (
        keep === 0 &&
        teethShow.has(target.viseme) &&
        py - top < Math.min(toothHeight, height * 0.55)
      ) {
        colour = teeth.map((v) => v * (0.72 + 0.28 * (1 - across * across)));
      } else if (target.viseme === 'tongue' && depth > 0.45 && across < 0.55 - 0.3 * (1 - depth)) {
        colour = tongue;
      }
      blend((y * size + x) * 3, colour, cover * shown);
    }
  }
  return out;
}
