/**
 * Putting a mouth from the atlas into a base frame: the 128×128 mouth image is mapped onto the
 * frame's mouth region (centre, size and angle from the model), blended through a feathered
 * ellipse around the lips, and shifted in colour so that the ring where it fades matches the
 * frame beneath (the atlas mouths come from other frames, under other light). The shift is a
 * plane across the mouth, fitted over the ring, not one mean: light that falls across the face
 * differently in the two frames would otherwise leave a lighter or darker oval.
 */

/** A mouth image, and its mouth points when the model has them. */
export interface MouthImage {
  readonly rgb: Uint8Array;
  /** Its mouth points (x, y pairs in the model's `atlas.points` order), when the model has them. */
  readonly points?: Float32Array;
}

/** [cx, cy, size, angle]: the mouth region of one base frame, in frame pixels and radians. */
export type MouthRegion = readonly [number, number, number, number];

/**
 * The mask, in the coordinates of a 128 crop: an ellipse about the lips, solid inside, fading to
 * its edge. Narrower is better where the mouth's shapes allow: beside the corners (smile lines,
 * stubble) the base frame's own skin is kept rather than another frame's.
 */
export interface PasteMask {
  readonly centre: readonly [number, number];
  readonly radius: readonly [number, number];
}

/** The mask for a model whose mouths' corners are not known: wide enough for any. */
export const wideMask: PasteMask = { centre: [64, 57], radius: [56, 46] };
const solidInside = 0.7;
/** The corners stay this far inside the mask's solid part (of their distance from its middle). */
const cornerRoom = 1.15;

/**
 * The mask for a set of mouths with their points: the solid part reaches past the widest mouth's
 * corners by `cornerRoom`, the fade ends soon after, never wider than `wideMask`.
 */
export function maskFor(
  mouths: readonly MouthImage[],
  size: number,
  corners: readonly [number, number],
): PasteMask {
  let reach = 0;
  for (const mouth of mouths) {
    if (!mouth.points) return wideMask;
    for (const k of corners)
      reach = Math.max(reach, Math.abs((mouth.points[k * 2] ?? 0) - size / 2));
  }
  const [wide, tall] = wideMask.radius;
  const radius = (reach * (128 / size) * cornerRoom) / Math.sqrt(solidInside);
  return { centre: wideMask.centre, radius: [Math.min(wide, Math.max(32, radius)), tall] };
}

/** Two atlas mouths blended: `mix` of `b`. */
export function blendMouths(
  a: MouthImage,
  b: MouthImage,
  mix: number,
  out: Uint8Array,
): MouthImage {
  if (mix <= 0.001) return a;
  if (mix >= 0.999) return b;
  const ra = a.rgb;
  const rb = b.rgb;
  const keep = 1 - mix;
  const n = Math.min(out.length, ra.length, rb.length);
  // Values lie in [0.5, 255.5]: `| 0` truncates as the byte store would, on the fast integer path.
  for (let i = 0; i < n; i++)
    out[i] = ((ra[i] as number) * keep + (rb[i] as number) * mix + 0.5) | 0;
  // Bytes past a short image (never in practice) count as 0, as before.
  for (let i = n; i < out.length; i++) out[i] = (ra[i] ?? 0) * keep + (rb[i] ?? 0) * mix + 0.5;
  return { rgb: out };
}

/** Per-pixel crop coordinates and mask opacity of the last box, reused between frames. */
let boxU = new Float64Array(0);
let boxV = new Float64Array(0);
let boxAlpha = new Float64Array(0);

/**
 * Pastes `mouth` (size×size) into the frame (packed RGB, in place) at `region`. Pixels are visited
 * only in the region's bounding box; each one's crop point and opacity are computed once.
 */
export function pasteMouth(
  frame: Uint8Array,
  width: number,
  height: number,
  region: MouthRegion,
  mouth: MouthImage,
  size = 128,
  mask: PasteMask = wideMask,
): void {
  const [cx, cy, regionSize, angle] = region;
  const scale = size / regionSize;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const reach = (regionSize / 2) * (Math.abs(cos) + Math.abs(sin)) + 1;
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(width - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(height - 1, Math.ceil(cy + reach));
  if (x1 < x0 || y1 < y0) return;
  const half = size / 2;
  const boxWidth = x1 - x0 + 1;
  const pixels = boxWidth * (y1 - y0 + 1);
  if (boxAlpha.length < pixels) {
    boxU = new Float64Array(pixels);
    boxV = new Float64Array(pixels);
    boxAlpha = new Float64Array(pixels);
  }
  // The mask: solid inside, a smooth fade over its outer ring.
  const k = 128 / size;
  const [mcx, mcy] = mask.centre;
  const [mrx, mry] = mask.radius;
  for (let y = y0, i = 0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    for (let x = x0; x <= x1; x++, i++) {
      const dx = x + 0.5 - cx;
      const u = (dx * cos + dy * sin) * scale + half;
      const v = (-dx * sin + dy * cos) * scale + half;
      const mx = (u * k - mcx) / mrx;
      const my = (v * k - mcy) / mry;
      const e = mx * mx + my * my;
      let alpha: number;
      if (e >= 1) alpha = 0;
      else if (e <= solidInside) alpha = 1;
      else {
        const t = (1 - e) / (1 - solidInside);
        alpha = t * t * (3 - 2 * t);
      }
      boxU[i] = u;
      boxV[i] = v;
      boxAlpha[i] = alpha;
    }
  }
  const shift = fitShift(frame, width, mouth.rgb, size, x0, x1, y0, y1);
  const rgb = mouth.rgb;
  const row = size * 3;
  for (let y = y0, i = 0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++, i++) {
      const alpha = boxAlpha[i] as number;
      if (alpha <= 0) continue;
      const u = boxU[i] as number;
      const v = boxV[i] as number;
      cropCell(size, u, v, cell);
      const p = cell[0] as number;
      const du = cell[1] as number;
      const dv = cell[2] as number;
      const at = (y * width + x) * 3;
      const pu = u / size - 0.5;
      const pv = v / size - 0.5;
      for (let c = 0; c < 3; c++) {
        const m =
          bilinear(rgb, p + c, row, du, dv) +
          (shift[c * 3] as number) +
          (shift[c * 3 + 1] as number) * pu +
          (shift[c * 3 + 2] as number) * pv;
        const under = frame[at + c] as number;
        frame[at + c] = Math.min(255, Math.max(0, under + (m - under) * alpha + 0.5)) | 0;
      }
    }
  }
}

/** The value at byte `p` of a crop and its right, lower and lower-right neighbours, mixed. */
function bilinear(rgb: Uint8Array, p: number, row: number, du: number, dv: number): number {
  return (
    (rgb[p] as number) * (1 - du) * (1 - dv) +
    (rgb[p + 3] as number) * du * (1 - dv) +
    (rgb[p + row] as number) * (1 - du) * dv +
    (rgb[p + row + 3] as number) * du * dv
  );
}

/** Scratch for cropCell: the cell's first byte, and the point's place in it across and down. */
const cell = new Float64Array(3);

/** The crop pixel cell holding crop point (u, v), edges clamped: [first byte, du, dv] into `out`. */
function cropCell(size: number, u: number, v: number, out: Float64Array): void {
  const last = size - 1;
  const fu = Math.min(last, Math.max(0, u - 0.5));
  const fv = Math.min(last, Math.max(0, v - 0.5));
  const iu = Math.min(last - 1, Math.floor(fu));
  const iv = Math.min(last - 1, Math.floor(fv));
  out[0] = (iv * size + iu) * 3;
  out[1] = fu - iu;
  out[2] = fv - iv;
}

/**
 * The colour shift frame − mouth over the mask's fading ring, as a plane in crop coordinates
 * (a + b·u + c·v per channel, u and v from −0.5 to 0.5): nine numbers, channel by channel. A ring
 * too thin to fit a plane to gets its mean.
 */
function fitShift(
  frame: Uint8Array,
  width: number,
  rgb: Uint8Array,
  size: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
): Float64Array {
  // Normal equations of the least-squares plane: A = Σ [1 u v]ᵀ[1 u v], b = Σ [1 u v]ᵀ d.
  let n = 0;
  let su = 0;
  let sv = 0;
  let suu = 0;
  let suv = 0;
  let svv = 0;
  const sd = new Float64Array(9);
  for (let y = y0, i = 0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++, i++) {
      const alpha = boxAlpha[i] as number;
      if (alpha <= 0 || alpha >= 1) continue;
      const u = boxU[i] as number;
      const v = boxV[i] as number;
      const pu = u / size - 0.5;
      const pv = v / size - 0.5;
      n++;
      su += pu;
      sv += pv;
      suu += pu * pu;
      suv += pu * pv;
      svv += pv * pv;
      const at = (y * width + x) * 3;
      // The mouth's colour here, bilinearly: the cell found once for the three channels.
      cropCell(size, u, v, cell);
      const p = cell[0] as number;
      const du = cell[1] as number;
      const dv = cell[2] as number;
      const row = size * 3;
      for (let c = 0; c < 3; c++) {
        const d = (frame[at + c] as number) - bilinear(rgb, p + c, row, du, dv);
        sd[c * 3] = (sd[c * 3] as number) + d;
        sd[c * 3 + 1] = (sd[c * 3 + 1] as number) + d * pu;
        sd[c * 3 + 2] = (sd[c * 3 + 2] as number) + d * pv;
      }
    }
  }
  const shift = new Float64Array(9);
  if (n === 0) return shift;
  // Solve the 3×3 system by Cramer's rule (symmetric, well conditioned for a ring around 0).
  const det = n * (suu * svv - suv * suv) - su * (su * svv - suv * sv) + sv * (su * suv - suu * sv);
  for (let c = 0; c < 3; c++) {
    const [b0, b1, b2] = [sd[c * 3] ?? 0, sd[c * 3 + 1] ?? 0, sd[c * 3 + 2] ?? 0];
    if (n < 12 || Math.abs(det) < 1e-9 * n * n * n) {
      shift[c * 3] = b0 / n;
      continue;
    }
    shift[c * 3] =
      (b0 * (suu * svv - suv * suv) - su * (b1 * svv - suv * b2) + sv * (b1 * suv - suu * b2)) /
      det;
    shift[c * 3 + 1] =
      (n * (b1 * svv - suv * b2) - b0 * (su * svv - suv * sv) + sv * (su * b2 - b1 * sv)) / det;
    shift[c * 3 + 2] =
      (n * (suu * b2 - b1 * suv) - su * (su * b2 - b1 * sv) + b0 * (su * suv - suu * sv)) / det;
  }
  return shift;
}
