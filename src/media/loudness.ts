/**
 * Loudness as broadcasters measure it (ITU-R BS.1770-4, EBU R128): K-weighted mean square over
 * 400 ms blocks overlapping by 75%, gated at −70 LUFS and then 10 LU under the ungated mean. Used
 * to bring every voice and recording to one loudness before it is heard; ffmpeg's ebur128 filter
 * is what the tests and benches check it against.
 */
import { samplesOf } from './pcm.js';

/** The K-weighting: a high shelf (the head's effect) then a high pass, as two biquads. */
interface Biquad {
  readonly b: readonly [number, number, number];
  readonly a: readonly [number, number];
}

/** The filters' coefficients at any rate (BS.1770 gives them at 48 kHz; these are its analogue). */
function kWeighting(sampleRate: number): readonly [Biquad, Biquad] {
  const shelf = (() => {
    const f0 = 1681.974450955533;
    const gainDb = 3.999843853973347;
    const q = 0.7071752369554196;
    const k = Math.tan((Math.PI * f0) / sampleRate);
    const vh = 10 ** (gainDb / 20);
    const vb = vh ** 0.4996667741545416;
    const a0 = 1 + k / q + k * k;
    return {
      b: [
        (vh + (vb * k) / q + k * k) / a0,
        (2 * (k * k - vh)) / a0,
        (vh - (vb * k) / q + k * k) / a0,
      ],
      a: [(2 * (k * k - 1)) / a0, (1 - k / q + k * k) / a0],
    } satisfies Biquad;
  })();
  const highPass = (() => {
    const f0 = 38.13547087602444;
    const q = 0.5003270373238773;
    const k = Math.tan((Math.PI * f0) / sampleRate);
    const a0 = 1 + k / q + k * k;
    return {
      b: [1, -2, 1],
      a: [(2 * (k * k - 1)) / a0, (1 - k / q + k * k) / a0],
    } satisfies Biquad;
  })();
  return [shelf, highPass];
}

/** One biquad's state, run a sample at a time (direct form I). */
class BiquadState {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;

  constructor(private readonly q: Biquad) {}

  step(x: number): number {
    const { b, a } = this.q;
    const y = b[0] * x + b[1] * this.x1 + b[2] * this.x2 - a[0] * this.y1 - a[1] * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

const blockMs = 400;
const stepMs = 100;
const absoluteGate = -70;
const relativeGate = -10;

const lufsOf = (meanSquare: number): number => -0.691 + 10 * Math.log10(meanSquare);

/**
 * Integrated loudness of 16-bit mono samples pushed in any pieces (a recording as it is decoded).
 * Blocks are 400 ms, one every 100 ms; only their mean squares are kept (40 bytes a second).
 */
export class LoudnessMeter {
  private readonly shelf: BiquadState;
  private readonly highPass: BiquadState;
  private readonly step: number;
  /** Sums of squares of the last four 100 ms steps, the one being filled last. */
  private readonly steps: number[] = [0];
  private inStep = 0;
  private readonly blocks: number[] = [];
  private count = 0;
  private total = 0;

  constructor(readonly sampleRate: number) {
    const [shelf, highPass] = kWeighting(sampleRate);
    this.shelf = new BiquadState(shelf);
    this.highPass = new BiquadState(highPass);
    this.step = Math.max(1, Math.round((sampleRate * stepMs) / 1000));
  }

  push(samples: Int16Array): void {
    const perBlock = blockMs / stepMs;
    for (const sample of samples) {
      const weighted = this.highPass.step(this.shelf.step(sample / 32768));
      const square = weighted * weighted;
      this.total += square;
      this.count++;
      this.steps[this.steps.length - 1]! += square;
      if (++this.inStep < this.step) continue;
      this.inStep = 0;
      if (this.steps.length === perBlock) {
        this.blocks.push(this.steps.reduce((sum, x) => sum + x, 0) / (perBlock * this.step));
        this.steps.shift();
      }
      this.steps.push(0);
    }
  }

  /** LUFS so far; −Infinity for silence. Less than one block is measured as one block. */
  lufs(): number {
    const blocks = this.blocks.length > 0 ? this.blocks : [this.total / Math.max(1, this.count)];
    const loud = blocks.filter((meanSquare) => lufsOf(meanSquare) > absoluteGate);
    if (loud.length === 0) return -Infinity;
    const gate = lufsOf(loud.reduce((sum, x) => sum + x, 0) / loud.length) + relativeGate;
    const kept = loud.filter((meanSquare) => lufsOf(meanSquare) > gate);
    return lufsOf(kept.reduce((sum, x) => sum + x, 0) / kept.length);
  }
}

/** Integrated loudness of 16-bit mono samples, LUFS; −Infinity for silence. */
export function integratedLoudness(pcm: Int16Array, sampleRate: number): number {
  const meter = new LoudnessMeter(sampleRate);
  meter.push(pcm);
  return meter.lufs();
}

/** What every voice and recording is brought to: EBU R128's streaming target, peaks under −1 dBTP. */
export const loudnessTarget = {
  lufs: -16,
  /**
   * Sample peaks are held at −2 dBFS: speech sampled at 16–48 kHz overshoots between samples by
   * well under a decibel, so the true peak stays under −1 dBTP once resampled and coded.
   */
  peakDbfs: -2,
  /** The most a quiet piece is raised: breath and room noise are not made speech. */
  maxGainDb: 24,
} as const;

/** The gain (dB) that brings sound measured at `lufs` to the target; 0 for silence. */
export function loudnessGainDb(lufs: number): number {
  if (!Number.isFinite(lufs)) return 0;
  return Math.min(loudnessTarget.maxGainDb, loudnessTarget.lufs - lufs);
}

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
 * 16-bit PCM times `gain`, through a look-ahead limiter: where a sample would pass the ceiling,
 * the gain comes down smoothly before it and goes back up after, instead of the peak being cut.
 * Each sample's gain is the average over the last `window` samples of the sliding minimum of
 * the gain every sample allows over the next `window`; every such minimum covers this sample,
 * so the result never exceeds what it allows, and no sample is clipped.
 */
export function applyLimitedGain(pcm: Buffer, gain: number, sampleRate: number): Buffer {
  const ceiling = 10 ** (loudnessTarget.peakDbfs / 20) * 32767;
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

/**
 * Speech brought to the loudness target (times `extraGain`, a listener's volume), its peaks held
 * under the ceiling: how every voice and recording leaves for a video or a stream.
 */
export function normaliseLoudness(pcm: Buffer, sampleRate: number, extraGain = 1): Buffer {
  const gainDb = loudnessGainDb(integratedLoudness(samplesOf(pcm), sampleRate));
  return applyLimitedGain(pcm, 10 ** (gainDb / 20) * extraGain, sampleRate);
}
