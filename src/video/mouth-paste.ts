/**
 * Putting a mouth from the atlas into a base frame: the 128×128 mouth image is mapped onto the
 * frame's mouth region (centre, size and angle from the model), blended through a feathered
 * ellipse around the lips, and shifted in colour so that the ring where it fades matches the
 * frame beneath (the atlas mouths come from other frames, under other light).
 */

/** A mouth image and its mean colour in the mask's fading ring. */
export interface MouthImage {
  readonly rgb: Uint8Array;
  readonly ring: readonly [number, number, number];
  /** Its mouth points (x, y pairs in the model's `atlas.points` order), when the model has them. */
  readonly points?: Float32Array;
}

/** [cx, cy, size, angle]: the mouth region of one base frame, in frame pixels and radians. */
export type MouthRegion = readonly [number, number, number, number];

/** The mask in crop coordinates: an ellipse about the lips, solid inside, fading to its edge. */
const maskCentre = [64, 57] as const;
const maskRadius = [56, 46] as const;
const solidInside = 0.7;

/** The mask's opacity at crop point (u, v), and whether it is in the fading ring. */
function maskAt(u: number, v: number, size: number): number {
  const k = 128 / size;
  const x = (u * k - maskCentre[0]) / maskRadius[0];
  const y = (v * k - maskCentre[1]) / maskRadius[1];
  const e = x * x + y * y;
  if (e >= 1) return 0;
  if (e <= solidInside) return 1;
  const t = (1 - e) / (1 - solidInside);
  return t * t * (3 - 2 * t);
}

/** The mean colour of a mouth image over the mask's fading ring. */
export function ringColour(rgb: Uint8Array, size: number): [number, number, number] {
  const sum = [0, 0, 0];
  let count = 0;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const alpha = maskAt(u + 0.5, v + 0.5, size);
      if (alpha <= 0 || alpha >= 1) continue;
      const at = (v * size + u) * 3;
      for (let c = 0; c < 3; c++) sum[c] = (sum[c] ?? 0) + (rgb[at + c] ?? 0);
      count++;
    }
  }
  return count === 0
    ? [0, 0, 0]
    : [(sum[0] ?? 0) / count, (sum[1] ?? 0) / count, (sum[2] ?? 0) / count];
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
  const ring = [0, 1, 2].map((c) => (a.ring[c] ?? 0) * keep + (b.ring[c] ?? 0) * mix);
  return { rgb: out, ring: [ring[0] ?? 0, ring[1] ?? 0, ring[2] ?? 0] };
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
  // The mask, as maskAt computes it (same operations in the same order, so the same numbers).
  const k = 128 / size;
  const [mcx, mcy] = maskCentre;
  const [mrx, mry] = maskRadius;
  // The frame's own colour in the ring, to match the mouth to.
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let count = 0;
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
      if (alpha <= 0 || alpha >= 1) continue;
      const at = (y * width + x) * 3;
      sum0 += frame[at] as number;
      sum1 += frame[at + 1] as number;
      sum2 += frame[at + 2] as number;
      count++;
    }
  }
  const shift0 = count === 0 ? 0 : sum0 / count - (mouth.ring[0] ?? 0);
  const shift1 = count === 0 ? 0 : sum1 / count - (mouth.ring[1] ?? 0);
  const shift2 = count === 0 ? 0 : sum2 / count - (mouth.ring[2] ?? 0);
  const rgb = mouth.rgb;
  const last = size - 1;
  const row = size * 3;
  for (let y = y0, i = 0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++, i++) {
      const alpha = boxAlpha[i] as number;
      if (alpha <= 0) continue;
      const fu = Math.min(last, Math.max(0, (boxU[i] as number) - 0.5));
      const fv = Math.min(last, Math.max(0, (boxV[i] as number) - 0.5));
      const iu = Math.min(last - 1, Math.floor(fu));
      const iv = Math.min(last - 1, Math.floor(fv));
      const du = fu - iu;
      const dv = fv - iv;
      const eu = 1 - du;
      const ev = 1 - dv;
      const p = (iv * size + iu) * 3;
      const at = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const m =
          (rgb[p + c] as number) * eu * ev +
          (rgb[p + 3 + c] as number) * du * ev +
          (rgb[p + row + c] as number) * eu * dv +
          (rgb[p + row + 3 + c] as number) * du * dv +
          (c === 0 ? shift0 : c === 1 ? shift1 : shift2);
        const under = frame[at + c] as number;
        frame[at + c] = Math.min(255, Math.max(0, under + (m - under) * alpha + 0.5)) | 0;
      }
    }
  }
}
