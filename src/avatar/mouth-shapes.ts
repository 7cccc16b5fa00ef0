/**
 * Mouth shapes the source never shows, made by warping one it does show: the lips move along the
 * face mesh's lip points (jaw down, corners in or out), the nose and the crop's border stay put,
 * and the opening that appears is filled with a mouth's inside (dark, upper teeth, the tongue
 * for th and l) in colours taken from the speaker's own lips.
 */
import { polygonCoverage, remap, warpMap, type WarpMap } from '../media/warp.js';
import { polyline } from '../util/polyline.js';
import { lipTone, looksLikeLip, type LipTone } from './lip-tone.js';
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

/**
 * The mesh points a mouth image carries in the model (in its crop's pixels): lips, jaw and nose,
 * what a renderer needs to warp one mouth into another's shape.
 */
export const mouthPointIndices: readonly number[] = [
  ...new Set([...outerUpper, ...outerLower, ...innerUpper, ...innerLower, ...jaw, ...fixed]),
];

/** The mouth points (x, y pairs, in `mouthPointIndices` order) of a full set of mesh points. */
export function pickMouthPoints(points: Float32Array): Float32Array {
  return Float32Array.from(
    mouthPointIndices.flatMap((index) => [points[index * 2] ?? 0, points[index * 2 + 1] ?? 0]),
  );
}

/** The outline between the lips (inner contours), x, y pairs, from a mouth's `mouthPointIndices` points. */
export function innerLipOutline(mouthPoints: Float32Array): number[] {
  return [...innerUpper, ...[...innerLower].reverse()].flatMap((index) => {
    const k = mouthPointIndices.indexOf(index);
    return [mouthPoints[k * 2] ?? 0, mouthPoints[k * 2 + 1] ?? 0];
  });
}

/** A made mouth: its crop, and where its mouth points went. */
export interface MouthShape {
  readonly rgb: Uint8Array;
  /** x, y pairs in `mouthPointIndices` order, in crop pixels. */
  readonly points: Float32Array;
}

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

/** A contour (a list of mesh points, corner to corner) as y of x, by linear interpolation. */
function contour(points: Float32Array, indices: readonly number[]): (x: number) => number {
  return polyline(indices.map((index) => point(points, index)));
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

const smoothstep = (from: number, to: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - from) / (to - from)));
  return t * t * (3 - 2 * t);
};

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

/** Crop pixels over which painted depth shades in below the inside a source shows. */
const lipFeather = 2;

/**
 * Inside the moved lips (`coverage`), `warp` reads the source at the same depth below its own
 * upper lip as the pixel is below the moved one, stopping short of the source's lower lip.
 */
function hangInside(
  warp: WarpMap,
  coverage: Float32Array,
  topAt: (x: number) => number,
  srcTopAt: (x: number) => number,
  srcBottomAt: (x: number) => number,
): void {
  const { width, map } = warp;
  coverage.forEach((cover, i) => {
    if (cover <= 0) return;
    const px = (i % width) + 0.5;
    const py = Math.floor(i / width) + 0.5;
    const sx = map[i * 2] ?? px;
    const top = srcTopAt(sx);
    map[i * 2 + 1] = Math.min(top + (py - topAt(px)), Math.max(top, srcBottomAt(sx) - 0.5));
  });
}

/** Below this lip gap (crop pixels) the lips touch: a closed mouth is made by closing them. */
const touchingGap = 2;
/** How much of the gap the jaw closes when the lips are brought together; the lips stretch the rest. */
const jawShare = 0.6;

/**
 * The lips brought together column by column: each column of the crop is remapped vertically so
 * that the upper lip's inner edge and the lower lip's meet at a seam, the jaw lifted by part of
 * the gap and the lips stretched over the rest. What showed between them (teeth, the dark) is
 * left out, not squeezed into a grey strip, and nothing above the upper lip moves.
 */
function closeLips(image: MouthImage): { rgb: Uint8Array; moved: Float32Array } {
  const { size, points, rgb } = image;
  const out = Uint8Array.from(rgb);
  const moved = Float32Array.from(points);
  const toneAt = (x: number, y: number): LipTone => {
    const at = (Math.min(size - 1, Math.max(0, Math.round(y))) * size + x) * 3;
    return lipTone(rgb[at] ?? 0, rgb[at + 1] ?? 0, rgb[at + 2] ?? 0);
  };
  const innerTopAt = contour(points, innerUpper);
  const innerBottomAt = contour(points, innerLower);
  /**
   * Where the lips' red stops either side of the mesh's inner contours at x: the mesh puts them
   * a pixel or two inside the lips, and what it leaves (a row of teeth) would stay in the seam.
   */
  const visibleGap = (x: number, outerTop: number, outerBottom: number): [number, number] => {
    let top = innerTopAt(x);
    let bottom = innerBottomAt(x);
    const column = Math.min(size - 1, Math.max(0, Math.floor(x)));
    const middle = Math.round((top + bottom) / 2);
    const upperLip = toneAt(column, (outerTop + top) / 2);
    const lowerLip = toneAt(column, (bottom + outerBottom) / 2);
    const isLip = (y: number, lip: LipTone) => looksLikeLip(toneAt(column, y), lip);
    if (!isLip(middle, upperLip) && !isLip(middle, lowerLip)) {
      let y = middle;
      while (y > outerTop + 1 && !isLip(y - 1, upperLip)) y--;
      top = Math.min(top, y);
      y = middle;
      while (y < outerBottom - 1 && !isLip(y + 1, lowerLip)) y++;
      bottom = Math.max(bottom, y + 1);
    }
    return [top, bottom];
  };
  // Each column's gap, found on its own, then smoothed across columns: a column's edge found a
  // row off its neighbours' would show as a vertical streak through the lip.
  const outerTopAt = contour(points, outerUpper);
  const outerBottomAt = contour(points, outerLower);
  const outerTops = Array.from({ length: size }, (_, x) => outerTopAt(x + 0.5));
  const outerBottoms = Array.from({ length: size }, (_, x) => outerBottomAt(x + 0.5));
  const gaps = outerTops.map((top, x) => visibleGap(x + 0.5, top, outerBottoms[x] ?? top));
  const smooth = (values: readonly number[]) => {
    const medians = values.map((_, x) => {
      const near = values.slice(Math.max(0, x - 2), x + 3).sort((a, b) => a - b);
      return near[near.length >> 1] ?? 0;
    });
    return medians.map((_, x) => {
      const near = medians.slice(Math.max(0, x - 1), x + 2);
      return near.reduce((sum, v) => sum + v, 0) / near.length;
    });
  };
  const innerTops = smooth(gaps.map(([top]) => top));
  const innerBottoms = smooth(gaps.map(([, bottom]) => bottom));
  /** Column x's seam and lift, or none where the lips already touch. */
  const columnAt = (x: number) => {
    const c = Math.min(size - 1, Math.max(0, Math.floor(x)));
    const outerTop = outerTops[c] ?? 0;
    const outerBottom = outerBottoms[c] ?? 0;
    const innerTop = innerTops[c] ?? 0;
    const innerBottom = innerBottoms[c] ?? 0;
    const gap = innerBottom - innerTop;
    if (gap < 0.25) return undefined;
    const lift = gap * jawShare;
    const upper = Math.max(0.5, innerTop - outerTop);
    const lower = Math.max(0.5, outerBottom - innerBottom);
    const seam = innerTop + ((gap - lift) * upper) / (upper + lower);
    return { outerTop, innerTop, innerBottom, outerBottom, seam, lift };
  };
  const [left] = point(points, 61);
  const [right] = point(points, 291);
  for (let x = Math.max(0, Math.floor(left)); x <= Math.min(size - 1, Math.ceil(right)); x++) {
    const column = columnAt(x + 0.5);
    if (!column) continue;
    const { outerTop, innerTop, innerBottom, outerBottom, seam, lift } = column;
    const bottom = outerBottom - lift;
    for (let y = Math.max(0, Math.floor(outerTop)); y < size; y++) {
      const at = y + 0.5;
      let from: number;
      if (at < seam)
        from = outerTop + ((at - outerTop) * (innerTop - outerTop)) / (seam - outerTop);
      else if (at < bottom)
        from = innerBottom + ((at - seam) * (outerBottom - innerBottom)) / (bottom - seam);
      else from = outerBottom + ((at - bottom) * (size - outerBottom)) / (size - bottom);
      const fy = Math.min(size - 1, Math.max(0, from - 0.5));
      const y0 = Math.min(size - 2, Math.floor(fy));
      const k = fy - y0;
      for (let c = 0; c < 3; c++) {
        const a = rgb[(y0 * size + x) * 3 + c] ?? 0;
        const b = rgb[((y0 + 1) * size + x) * 3 + c] ?? 0;
        out[(y * size + x) * 3 + c] = Math.round(a + (b - a) * k);
      }
    }
  }
  for (const index of [...innerUpper, ...innerLower, ...outerLower, ...jaw]) {
    const [x, y] = point(points, index);
    const column = columnAt(x);
    if (!column) continue;
    const isInner = innerUpper.includes(index) || innerLower.includes(index);
    moved[index * 2 + 1] = isInner ? column.seam : y - column.lift;
  }
  return { rgb: out, moved };
}

/**
 * A thin dark line where the lips meet, along the inner contours of `moved`: about a pixel and a
 * half of a 128 crop, as a closed mouth's line looks at that size (a wider band reads as a strip).
 */
function drawSeam(
  out: Uint8Array,
  moved: Float32Array,
  lips: readonly number[],
  size: number,
): void {
  // Shadowed lip, not grey: the red holds as the light falls.
  const seam = lips.map((v, c) => v * (c === 0 ? 0.55 : 0.42));
  const edge = (index: number, dy: number) => [point(moved, index)[0], point(moved, index)[1] + dy];
  const line = polygonCoverage(
    [
      ...innerUpper.flatMap((index) => edge(index, -0.75)),
      ...[...innerLower].reverse().flatMap((index) => edge(index, 0.75)),
    ],
    size,
    size,
  );
  line.forEach((cover, i) => {
    if (cover <= 0) return;
    for (let c = 0; c < 3; c++) {
      const v = out[i * 3 + c] ?? 0;
      out[i * 3 + c] = Math.round(v + ((seam[c] ?? 0) - v) * cover * 0.7);
    }
  });
}

/**
 * The mouth of `image` warped into the target shape. A mouth that opens wider than the source is
 * painted inside: upper teeth (the speaker's own colour when the source shows them), the dark of
 * the mouth, the tongue for th and l. A mouth made to close has its lips brought together over
 * whatever the source showed between them, with a seam where they meet.
 */
export function synthesiseMouth(image: MouthImage, target: MouthTarget): MouthShape {
  const { size, points } = image;
  const interOcular = size / cropPerInterOcular;
  const gapBefore = gapOf(points);
  const lips = meanColour(image, [0, 17, 37, 267, 84, 314]);
  if (target.openNorm * interOcular < touchingGap && gapBefore >= touchingGap) {
    const closed = closeLips(image);
    drawSeam(closed.rgb, closed.moved, lips, size);
    return { rgb: closed.rgb, points: pickMouthPoints(closed.moved) };
  }
  const { src, dest, moved } = moveLips(image, target);
  const warp = warpMap(dest, src, size, size, 2);
  const gapAfter = gapOf(moved);
  const polygon = innerPolygon(moved);
  const coverage = polygonCoverage(polygon, size, size);
  const topAt = contour(moved, innerUpper);
  const bottomAt = contour(moved, innerLower);
  const srcTopAt = contour(points, innerUpper);
  const srcBottomAt = contour(points, innerLower);
  // A source open already shows its own inside (teeth below the upper lip): it is hung from the
  // moved upper lip at its own scale, not stretched into tall blurred teeth; only the new depth
  // below it is painted.
  const keeps = gapBefore >= touchingGap && gapAfter >= gapBefore * 1.1;
  if (keeps) hangInside(warp, coverage, topAt, srcTopAt, srcBottomAt);
  const out = remap(image.rgb, size, size, warp);
  const blend = (at: number, colour: readonly number[], alpha: number) => {
    for (let c = 0; c < 3; c++) {
      out[at + c] = Math.round((out[at + c] ?? 0) * (1 - alpha) + (colour[c] ?? 0) * alpha);
    }
  };
  if (gapAfter < gapBefore * 1.1) {
    // Closing part way: what the source showed between the lips narrows with them.
    if (gapAfter < 3) drawSeam(out, moved, lips, size);
    return { rgb: out, points: pickMouthPoints(moved) };
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
  const sourceGapAt = (x: number) => srcBottomAt(x) - srcTopAt(x);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const cover = coverage[y * size + x] ?? 0;
      if (cover <= 0) continue;
      const px = x + 0.5;
      const py = y + 0.5;
      const top = topAt(px);
      const bottom = bottomAt(px);
      const height = Math.max(1, bottom - top);
      const depth = (py - top) / height;
      const across = Math.min(1, Math.abs(px - centreX) / halfWidth);
      // Below what the source shows (where its inside was hung), the new depth is painted.
      const keep = keeps ? sourceGapAt(warp.map[(y * size + x) * 2] ?? px) - 0.5 : 0;
      const shown = keeps ? smoothstep(0, lipFeather, py - top - keep) : 1;
      if (shown <= 0) continue;
      // The mouth's dark, deepest behind the teeth in the middle; toward the lower lip the tongue
      // shows as a dim red floor (a flat charcoal crescent reads as a painted hole).
      const floor = smoothstep(0.3, 1, depth) * (1 - across * across) * 0.85;
      // Lit from the front, the inside is redder than the lips are (a grey mix reads as a hole).
      let colour = lips.map((v, c) => {
        const back = v * (0.2 - 0.1 * (1 - across) * Math.sin(Math.PI * depth));
        return back + (v * (c === 0 ? 0.72 : 0.36) - back) * floor;
      });
      if (
        !keeps &&
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
  return { rgb: out, points: pickMouthPoints(moved) };
}
