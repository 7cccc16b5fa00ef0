/**
 * Per-frame face tracks: smoothing (so boxes and landmarks do not jitter from frame to frame)
 * and the choice of the base segment the avatar loops while it speaks.
 */

/** Gaussian weights for a kernel of `sigma` frames, cut at three sigmas. */
function gaussian(sigma: number): number[] {
  const reach = Math.max(1, Math.ceil(sigma * 3));
  const weights: number[] = [];
  for (let offset = -reach; offset <= reach; offset++) {
    weights.push(Math.exp(-(offset * offset) / (2 * sigma * sigma)));
  }
  return weights;
}

/**
 * Zero-phase Gaussian smoothing along time of every value of a per-frame vector (a landmark set
 * flattened, or a box), for frames `from` to `to` (exclusive) of `count`. Offline, so it looks
 * ahead as well as back and nothing lags; at the ends the kernel is renormalised over the frames
 * that exist. Frames are read through `read` as needed and only a kernel's width is held, so a
 * whole clip streams through in flat memory.
 */
export function* smoothRange(
  read: (index: number) => Float32Array,
  count: number,
  sigma: number,
  from = 0,
  to = count,
): Generator<Float32Array> {
  const weights = sigma > 0 ? gaussian(sigma) : [1];
  const reach = (weights.length - 1) / 2;
  const window = new Map<number, Float32Array>();
  for (let index = Math.max(0, from); index < Math.min(count, to); index++) {
    for (const held of window.keys()) if (held < index - reach) window.delete(held);
    let out: Float32Array | undefined;
    let total = 0;
    for (let k = -reach; k <= reach; k++) {
      const at = index + k;
      if (at < 0 || at >= count) continue;
      let frame = window.get(at);
      if (!frame) {
        frame = read(at);
        window.set(at, frame);
      }
      out ??= new Float32Array(frame.length);
      const weight = weights[k + reach] ?? 0;
      total += weight;
      for (let i = 0; i < frame.length; i++) out[i] = (out[i] ?? 0) + (frame[i] ?? 0) * weight;
    }
    if (!out) return;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / total;
    yield out;
  }
}

/** smoothRange over frames held in an array. */
export function smoothTrack(frames: readonly Float32Array[], sigma: number): Float32Array[] {
  return [...smoothRange((index) => frames[index] as Float32Array, frames.length, sigma)];
}

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.sqrt(sum / Math.max(1, a.length));
}

export interface BaseSegment {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** Mean frame-to-frame head motion inside the segment (pose units per frame). */
  readonly motion: number;
  /** Distance between the last and the first pose: what a forward loop would jump. */
  readonly seam: number;
}

/**
 * The stretch of `length` frames to loop as the avatar's base: little head motion, and an end
 * close to its start so the loop joins smoothly (played forward, then backward, it joins anyway;
 * a small seam keeps forward loops possible too). `poses` are per-frame head poses, for example
 * a few stable landmarks (eye corners, nose, chin) normalised by the face size.
 */
export function chooseBaseSegment(poses: readonly Float32Array[], length: number): BaseSegment {
  const frames = poses.length;
  const span = Math.max(2, Math.min(length, frames));
  const steps: number[] = [];
  for (let i = 1; i < frames; i++)
    steps.push(distance(poses[i] as Float32Array, poses[i - 1] as Float32Array));
  // Prefix sums give each window's motion in O(1).
  const prefix = [0];
  for (const step of steps) prefix.push((prefix.at(-1) ?? 0) + step);
  let best: BaseSegment | undefined;
  let bestScore = Infinity;
  for (let start = 0; start + span <= frames; start++) {
    const end = start + span;
    const motion = ((prefix[end - 1] ?? 0) - (prefix[start] ?? 0)) / (span - 1);
    const seam = distance(poses[end - 1] as Float32Array, poses[start] as Float32Array);
    const score = motion + seam / span;
    if (score < bestScore) {
      bestScore = score;
      best = { start, end, motion, seam };
    }
  }
  return best ?? { start: 0, end: frames, motion: 0, seam: 0 };
}
