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
  for (let i = 0; i < out.length; i++) {
    out[i] = (a.rgb[i] ?? 0) * (1 - mix) + (b.rgb[i] ?? 0) * mix + 0.5;
  }
  const ring = [0, 1, 2].map((c) => (a.ring[c] ?? 0) * (1 - mix) + (b.ring[c] ?? 0) * mix);
  return { rgb: out, ring: [ring[0] ?? 0, ring[1] ?? 0, ring[2] ?? 0] };
}

/**
 * Pastes `mouth` (size×size) into the frame (packed RGB, in place) at `region`. Pixels are visited
 * only in the region's bounding box.
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
  const half = size / 2;
  const cropOf = (x: number, y: number): [number, number] => {
    const dx = x + 0.5 - cx;
    const dy = y + 0.5 - cy;
    return [(dx * cos + dy * sin) * scale + half, (-dx * sin + dy * cos) * scale + half];
  };
  // The frame's own colour in the ring, to match the mouth to.
  const sum = [0, 0, 0];
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const [u, v] = cropOf(x, y);
      const alpha = maskAt(u, v, size);
      if (alpha <= 0 || alpha >= 1) continue;
      const at = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) sum[c] = (sum[c] ?? 0) + (frame[at + c] ?? 0);
      count++;
    }
  }
  const shift =
    count === 0 ? [0, 0, 0] : [0, 1, 2].map((c) => (sum[c] ?? 0) / count - (mouth.ring[c] ?? 0));
  const last = size - 1;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const [u, v] = cropOf(x, y);
      const alpha = maskAt(u, v, size);
      if (alpha <= 0) continue;
      const fu = Math.min(last, Math.max(0, u - 0.5));
      const fv = Math.min(last, Math.max(0, v - 0.5));
      const iu = Math.min(last - 1, Math.floor(fu));
      const iv = Math.min(last - 1, Math.floor(fv));
      const du = fu - iu;
      const dv = fv - iv;
      const p = (iv * size + iu) * 3;
      const row = size * 3;
      const at = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const m =
          (mouth.rgb[p + c] ?? 0) * (1 - du) * (1 - dv) +
          (mouth.rgb[p + 3 + c] ?? 0) * du * (1 - dv) +
          (mouth.rgb[p + row + c] ?? 0) * (1 - du) * dv +
          (mouth.rgb[p + row + 3 + c] ?? 0) * du * dv +
          (shift[c] ?? 0);
        const under = frame[at + c] ?? 0;
        frame[at + c] = Math.min(255, Math.max(0, under + (m - under) * alpha + 0.5));
      }
    }
  }
}
