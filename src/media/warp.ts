/**
 * Image warping along control points: moving least squares (Schaefer et al., "Image Deformation
 * Using Moving Least Squares", 2006, the affine form) as a backward map, so every output pixel
 * knows where in the source it comes from; the map is solved on a coarse grid and interpolated,
 * then sampled bilinearly. Points are flat [x0, y0, x1, y1, ...] in pixel coordinates whose
 * pixel centres sit at +0.5.
 */

/** Where the point (x, y) of the output comes from, given where control points go. */
function mlsAt(
  x: number,
  y: number,
  dest: ArrayLike<number>,
  src: ArrayLike<number>,
  count: number,
  weights: Float64Array,
): [number, number] {
  let total = 0;
  let px = 0;
  let py = 0;
  let qx = 0;
  let qy = 0;
  for (let i = 0; i < count; i++) {
    const dx = (dest[i * 2] ?? 0) - x;
    const dy = (dest[i * 2 + 1] ?? 0) - y;
    const d2 = dx * dx + dy * dy;
    if (d2 < 1e-8) return [src[i * 2] ?? 0, src[i * 2 + 1] ?? 0];
    const w = 1 / d2;
    weights[i] = w;
    total += w;
    px += w * (dest[i * 2] ?? 0);
    py += w * (dest[i * 2 + 1] ?? 0);
    qx += w * (src[i * 2] ?? 0);
    qy += w * (src[i * 2 + 1] ?? 0);
  }
  px /= total;
  py /= total;
  qx /= total;
  qy /= total;
  let a11 = 0;
  let a12 = 0;
  let a22 = 0;
  let b11 = 0;
  let b12 = 0;
  let b21 = 0;
  let b22 = 0;
  for (let i = 0; i < count; i++) {
    const w = weights[i] ?? 0;
    const hx = (dest[i * 2] ?? 0) - px;
    const hy = (dest[i * 2 + 1] ?? 0) - py;
    const gx = (src[i * 2] ?? 0) - qx;
    const gy = (src[i * 2 + 1] ?? 0) - qy;
    a11 += w * hx * hx;
    a12 += w * hx * hy;
    a22 += w * hy * hy;
    b11 += w * hx * gx;
    b12 += w * hx * gy;
    b21 += w * hy * gx;
    b22 += w * hy * gy;
  }
  const det = a11 * a22 - a12 * a12;
  const dx = x - px;
  const dy = y - py;
  if (Math.abs(det) < 1e-9) return [dx + qx, dy + qy];
  // M = A⁻¹ B; f(v) = (v − p*) M + q*.
  const i11 = a22 / det;
  const i12 = -a12 / det;
  const i22 = a11 / det;
  const m11 = i11 * b11 + i12 * b21;
  const m12 = i11 * b12 + i12 * b22;
  const m21 = i12 * b11 + i22 * b21;
  const m22 = i12 * b12 + i22 * b22;
  return [dx * m11 + dy * m21 + qx, dx * m12 + dy * m22 + qy];
}

/** A backward map: for output pixel i, its source position at [2i, 2i+1]. */
export interface WarpMap {
  readonly width: number;
  readonly height: number;
  readonly map: Float32Array;
}

/**
 * The backward map of a warp that takes each control point `src[i]` to `dest[i]`, solved every
 * `step` pixels and interpolated in between (the deformation is smooth, so this loses nothing
 * visible and costs a tiny fraction of solving every pixel).
 */
export function warpMap(
  dest: ArrayLike<number>,
  src: ArrayLike<number>,
  width: number,
  height: number,
  step = 4,
): WarpMap {
  const count = Math.min(dest.length, src.length) >> 1;
  if (count === 0) throw new Error('a warp needs control points');
  const gw = Math.ceil((width - 1) / step) + 1;
  const gh = Math.ceil((height - 1) / step) + 1;
  const grid = new Float64Array(gw * gh * 2);
  const weights = new Float64Array(count);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const [sx, sy] = mlsAt(
        Math.min(width - 1, gx * step) + 0.5,
        Math.min(height - 1, gy * step) + 0.5,
        dest,
        src,
        count,
        weights,
      );
      grid[(gy * gw + gx) * 2] = sx;
      grid[(gy * gw + gx) * 2 + 1] = sy;
    }
  }
  // Hot loop: indices are in range by construction, hence the non-null assertions.
  const map = new Float32Array(width * height * 2);
  for (let y = 0; y < height; y++) {
    const gy = gh < 2 ? 0 : Math.min(gh - 2, Math.floor(y / step));
    const y0 = gy * step;
    const y1 = Math.min(height - 1, (gy + 1) * step);
    const fy = y1 === y0 ? 0 : (y - y0) / (y1 - y0);
    const down = gh < 2 ? 0 : gw * 2;
    let to = y * width * 2;
    for (let x = 0; x < width; x++, to += 2) {
      const gx = gw < 2 ? 0 : Math.min(gw - 2, Math.floor(x / step));
      const x0 = gx * step;
      const x1 = Math.min(width - 1, (gx + 1) * step);
      const fx = x1 === x0 ? 0 : (x - x0) / (x1 - x0);
      const i00 = (gy * gw + gx) * 2;
      const right = gw < 2 ? 0 : 2;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      map[to] =
        grid[i00]! * w00 +
        grid[i00 + right]! * w01 +
        grid[i00 + down]! * w10 +
        grid[i00 + down + right]! * w11;
      map[to + 1] =
        grid[i00 + 1]! * w00 +
        grid[i00 + right + 1]! * w01 +
        grid[i00 + down + 1]! * w10 +
        grid[i00 + down + right + 1]! * w11;
    }
  }
  return { width, height, map };
}

/** The source sampled through a backward map, bilinearly, edges clamped. RGB in, RGB out. */
export function remap(
  rgb: Uint8Array,
  width: number,
  height: number,
  warp: WarpMap,
  out = new Uint8Array(warp.width * warp.height * 3),
): Uint8Array {
  // Hot loop: indices are clamped into the picture, hence the non-null assertions.
  const { map } = warp;
  const lastX = width - 1;
  const lastY = height - 1;
  const dx = lastX > 0 ? 3 : 0;
  const dy = lastY > 0 ? width * 3 : 0;
  for (let i = 0, n = warp.width * warp.height; i < n; i++) {
    let x = map[i * 2]! - 0.5;
    let y = map[i * 2 + 1]! - 0.5;
    x = x < 0 ? 0 : x > lastX ? lastX : x;
    y = y < 0 ? 0 : y > lastY ? lastY : y;
    const xi = x >= lastX && lastX > 0 ? lastX - 1 : Math.floor(x);
    const yi = y >= lastY && lastY > 0 ? lastY - 1 : Math.floor(y);
    const fx = x - xi;
    const fy = y - yi;
    const w00 = (1 - fx) * (1 - fy);
    const w01 = fx * (1 - fy);
    const w10 = (1 - fx) * fy;
    const w11 = fx * fy;
    const p = (yi * width + xi) * 3;
    const o = i * 3;
    out[o] =
      rgb[p]! * w00 + rgb[p + dx]! * w01 + rgb[p + dy]! * w10 + rgb[p + dx + dy]! * w11 + 0.5;
    out[o + 1] =
      rgb[p + 1]! * w00 +
      rgb[p + dx + 1]! * w01 +
      rgb[p + dy + 1]! * w10 +
      rgb[p + dx + dy + 1]! * w11 +
      0.5;
    out[o + 2] =
      rgb[p + 2]! * w00 +
      rgb[p + dx + 2]! * w01 +
      rgb[p + dy + 2]! * w10 +
      rgb[p + dx + dy + 2]! * w11 +
      0.5;
  }
  return out;
}

/**
 * How much of each pixel of a width×height image a polygon covers, 0–1, with a one-pixel soft
 * edge (so fills do not show stairs). Only the polygon's bounding box is visited.
 */
export function polygonCoverage(
  polygon: ArrayLike<number>,
  width: number,
  height: number,
): Float32Array {
  const coverage = new Float32Array(width * height);
  const n = polygon.length >> 1;
  if (n < 3) return coverage;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, polygon[i * 2] ?? 0);
    maxX = Math.max(maxX, polygon[i * 2] ?? 0);
    minY = Math.min(minY, polygon[i * 2 + 1] ?? 0);
    maxY = Math.max(maxY, polygon[i * 2 + 1] ?? 0);
  }
  const x0 = Math.max(0, Math.floor(minX) - 1);
  const x1 = Math.min(width - 1, Math.ceil(maxX) + 1);
  const y0 = Math.max(0, Math.floor(minY) - 1);
  const y1 = Math.min(height - 1, Math.ceil(maxY) + 1);
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      let inside = false;
      let nearest = Infinity;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const ax = polygon[i * 2] ?? 0;
        const ay = polygon[i * 2 + 1] ?? 0;
        const bx = polygon[j * 2] ?? 0;
        const by = polygon[j * 2 + 1] ?? 0;
        if (ay > py !== by > py && px < ((bx - ax) * (py - ay)) / (by - ay) + ax) inside = !inside;
        const ex = bx - ax;
        const ey = by - ay;
        const t = Math.min(
          1,
          Math.max(0, ((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey || 1)),
        );
        nearest = Math.min(nearest, Math.hypot(px - ax - t * ex, py - ay - t * ey));
      }
      const signed = inside ? nearest : -nearest;
      coverage[y * width + x] = Math.min(1, Math.max(0, 0.5 + signed));
    }
  }
  return coverage;
}
