/**
 * Pixel sampling for the face models, straight from a packed RGB frame: no full-frame tensor is
 * built, so the cost hardly grows with the frame's resolution.
 */

/** A k×k box filter must not grow without bound on huge frames. */
const maxLetterboxFilter = 4;

/**
 * The frame shrunk into an out×out canvas (values 0–255, black bars), each output pixel the mean
 * of k×k samples so nothing aliases: what the detector sees.
 */
export function letterbox(
  rgb: Uint8Array,
  width: number,
  height: number,
  out: number,
  target: Float32Array,
): { scale: number; padX: number; padY: number } {
  const scale = out / Math.max(width, height);
  const padX = (out - width * scale) / 2;
  const padY = (out - height * scale) / 2;
  target.fill(0);
  const inverse = 1 / scale;
  const k = Math.max(1, Math.min(maxLetterboxFilter, Math.round(inverse)));
  const step = inverse / k;
  const norm = 1 / (k * k);
  const x0 = Math.max(0, Math.floor(padX));
  const x1 = Math.min(out, Math.ceil(out - padX));
  const y0 = Math.max(0, Math.floor(padY));
  const y1 = Math.min(out, Math.ceil(out - padY));
  for (let oy = y0; oy < y1; oy++) {
    const sourceY = (oy - padY) * inverse;
    for (let ox = x0; ox < x1; ox++) {
      const sourceX = (ox - padX) * inverse;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < k; j++) {
        const sy = Math.min(height - 1, Math.max(0, Math.floor(sourceY + (j + 0.5) * step)));
        for (let i = 0; i < k; i++) {
          const sx = Math.min(width - 1, Math.max(0, Math.floor(sourceX + (i + 0.5) * step)));
          const at = (sy * width + sx) * 3;
          r += rgb[at] ?? 0;
          g += rgb[at + 1] ?? 0;
          b += rgb[at + 2] ?? 0;
        }
      }
      const to = (oy * out + ox) * 3;
      target[to] = r * norm;
      target[to + 1] = g * norm;
      target[to + 2] = b * norm;
    }
  }
  return { scale, padX, padY };
}

/** A square region of the frame, turned by `angle` radians, centred on (cx, cy). */
export interface Region {
  readonly cx: number;
  readonly cy: number;
  readonly size: number;
  readonly angle: number;
}

/**
 * An out×out crop of a rotated square region (values 0–1, black outside the frame), in two
 * steps: a k×k box filter over the region's bounding box (k = the whole part of the scale), then
 * bilinear rotated sampling of the rest. `scratch` is reused between calls.
 */
export function sampleRegion(
  rgb: Uint8Array,
  width: number,
  height: number,
  region: Region,
  out: number,
  target: Float32Array,
  scratch: { buffer?: Float32Array },
  maxFilter = 8,
): void {
  const half = out / 2;
  const s = region.size / out;
  const cos = Math.cos(region.angle);
  const sin = Math.sin(region.angle);
  const k = Math.max(1, Math.min(maxFilter, Math.floor(s)));
  const extent = half * s * (Math.abs(cos) + Math.abs(sin)) + 2 * k;
  const x0 = Math.max(0, Math.floor(region.cx - extent));
  const y0 = Math.max(0, Math.floor(region.cy - extent));
  const x1 = Math.min(width, Math.ceil(region.cx + extent));
  const y1 = Math.min(height, Math.ceil(region.cy + extent));
  const tw = Math.floor((x1 - x0) / k);
  const th = Math.floor((y1 - y0) / k);
  target.fill(0);
  if (tw < 2 || th < 2) return;
  const need = tw * th * 3;
  if (!scratch.buffer || scratch.buffer.length < need) scratch.buffer = new Float32Array(need * 2);
  const small = scratch.buffer;
  small.fill(0, 0, need);
  const norm = 1 / (255 * k * k);
  for (let ty = 0; ty < th; ty++) {
    const row = ty * tw * 3;
    for (let j = 0; j < k; j++) {
      let at = ((y0 + ty * k + j) * width + x0) * 3;
      for (let tx = 0; tx < tw; tx++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let i = 0; i < k; i++) {
          r += rgb[at] ?? 0;
          g += rgb[at + 1] ?? 0;
          b += rgb[at + 2] ?? 0;
          at += 3;
        }
        const to = row + tx * 3;
        small[to] = (small[to] ?? 0) + r * norm;
        small[to + 1] = (small[to + 1] ?? 0) + g * norm;
        small[to + 2] = (small[to + 2] ?? 0) + b * norm;
      }
    }
  }
  const sk = s / k;
  const ux = cos * sk;
  const uy = sin * sk;
  const vx = -sin * sk;
  const vy = cos * sk;
  const centerX = (region.cx - x0) / k - 0.5;
  const centerY = (region.cy - y0) / k - 0.5;
  const lastX = tw - 1;
  const lastY = th - 1;
  let to = 0;
  for (let v = 0; v < out; v++) {
    const dv = v + 0.5 - half;
    let x = centerX + (0.5 - half) * ux + dv * vx;
    let y = centerY + (0.5 - half) * uy + dv * vy;
    for (let u = 0; u < out; u++, x += ux, y += uy, to += 3) {
      if (x < 0 || y < 0 || x > lastX || y > lastY) continue;
      const xi = Math.floor(x);
      const yi = Math.floor(y);
      const fx = x - xi;
      const fy = y - yi;
      const dx = xi < lastX ? 3 : 0;
      const dy = yi < lastY ? tw * 3 : 0;
      const at = (yi * tw + xi) * 3;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      for (let c = 0; c < 3; c++) {
        const p = at + c;
        target[to + c] =
          (small[p] ?? 0) * w00 +
          (small[p + dx] ?? 0) * w01 +
          (small[p + dy] ?? 0) * w10 +
          (small[p + dx + dy] ?? 0) * w11;
      }
    }
  }
}
