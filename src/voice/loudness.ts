/**
 * Volume for TTS: the request's `volume` as a gain, applied without ever clipping.
 *
 * Clients of the hosted service send either a gain (0–3, 1 = normal) or a percentage (100 =
 * normal, 400 = four times the amplitude); a value above 3 can only be a percentage.
 */
import { badParams } from '../errors/app-error.js';

export const volumeLimits = { maxGain: 3, maxPercent: 1000 } as const;

/** The gain a request's volume asks for (1 when absent); out of range is a 3333 on `volume`. */
export function volumeGain(volume: number | undefined): number {
  if (volume === undefined) return 1;
  if (!Number.isFinite(volume) || volume < 0 || volume > volumeLimits.maxPercent) {
    const problem = `must be 0 to ${volumeLimits.maxGain} (a gain, 1 = normal) or up to ${volumeLimits.maxPercent} (percent, 100 = normal)`;
    throw badParams([{ field: 'volume', problem }]);
  }
  return volume <= volumeLimits.maxGain ? volume : volume / 100;
}

/** Peaks are held just under full scale, so rounding can never reach it. */
const ceiling = 0.98 * 32767;
/** The limiter looks this far ahead and releases over as long: several pitch periods. */
const windowMs = 20;

/** For each sample, the smallest value in the `width` samples starting there (a sliding minimum). */
function minimumAhead(values: Float64Array, width: number): Float64Array {
  const out = new Float64Array(values.length);
  const queue: number[] = [];
  let head = 0;
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i] ?? 0;
    while (queue.length > head && (values[queue[queue.length - 1] ?? 0] ?? 0) >= value) queue.pop();
    queue.push(i);
    while ((queue[head] ?? 0) >= i + width) head++;
    out[i] = values[queue[head] ?? i] ?? value;
  }
  return out;
}

/**
 * 16-bit PCM times `gain`, through a look-ahead limiter: where a sample would pass full scale,
 * the gain comes down smoothly before it and goes back up after, instead of the peak being cut.
 * Each sample's gain is the average over the last `window` samples of the sliding minimum of
 * the gain every sample allows over the next `window`; every such minimum covers this sample,
 * so the result never exceeds what it allows, and no sample is clipped.
 */
export function applyVolume(pcm: Buffer, gain: number, sampleRate: number): Buffer {
  if (gain === 1) return pcm;
  const count = Math.floor(pcm.length / 2);
  const allowed = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const magnitude = Math.abs(pcm.readInt16LE(i * 2));
    allowed[i] = magnitude * gain > ceiling ? ceiling / magnitude : gain;
  }
  const width = Math.max(1, Math.round((sampleRate * windowMs) / 1000));
  const held = minimumAhead(allowed, width);
  const out = Buffer.alloc(count * 2);
  // Before the start, the window is padded with the first minimum (it covers those samples).
  const first = held[0] ?? gain;
  let sum = (width - 1) * first;
  for (let i = 0; i < count; i++) {
    sum += held[i] ?? gain;
    const smooth = Math.min(gain, sum / width);
    out.writeInt16LE(Math.round(pcm.readInt16LE(i * 2) * smooth), i * 2);
    const leaving = i - width + 1;
    sum -= leaving >= 0 ? (held[leaving] ?? gain) : first;
  }
  return out;
}
