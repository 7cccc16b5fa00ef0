/**
 * How well a video's lips follow its sound, measured from the video alone: the mouth opening on
 * every frame (the face engine's inner-lip gap over the face's height) against the loudness of
 * the sound over that frame. The slow speech/silence envelope of both is taken out (a centred
 * moving average over 7 frames subtracted), so only syllable-rate motion counts; the score is the
 * best Pearson correlation over lags of −2..2 frames.
 */
import { closesLips, type PhonemeAlphabet } from '../avatar/visemes.js';
import type { FaceEngine } from '../engines/face/face.types.js';
import type { PhonemeTiming } from '../engines/tts/tts.types.js';
import { decodeFrames } from '../media/decode.js';
import { probeMedia } from '../media/probe.js';
import { buildPcmDecodeArgs } from '../media/ffmpeg.args.js';
import { runFfmpeg } from '../media/process.runner.js';
import { insideShowing } from '../avatar/lips-apart.js';

/** A video's mouth, frame by frame, each over the face's height (NaN where no face is found). */
export interface MouthReadings {
  /** The face mesh's inner-lip gap. */
  readonly gaps: number[];
  /** What shows between the lips in the picture (lips-apart.ts): about 0 where they meet. */
  readonly showing: number[];
}

export async function mouthReadings(
  file: string,
  engine: FaceEngine,
  fps = 25,
): Promise<MouthReadings> {
  const info = await probeMedia(file);
  if (!info.video) throw new Error(`${file} has no video`);
  engine.reset();
  const gaps: number[] = [];
  const showing: number[] = [];
  for await (const frame of decodeFrames(file, info.video, { fps })) {
    // Not handed over: the pixels are read again after the landmarks come back.
    const [face] = await engine.detect(frame.rgb, frame.width, frame.height);
    const height = face?.box.height ?? NaN;
    gaps.push(face ? face.mouth.innerOpen / height : NaN);
    showing.push(
      face ? insideShowing(frame.rgb, frame.width, frame.height, face.landmarks) / height : NaN,
    );
  }
  return { gaps, showing };
}

/** Per frame at `fps`: the mouth's opening over the face's height (NaN where no face is found). */
export async function mouthOpenings(file: string, engine: FaceEngine, fps = 25): Promise<number[]> {
  return (await mouthReadings(file, engine, fps)).gaps;
}

/** Per frame at `fps`: the RMS loudness of the sound over that frame. */
export async function loudnessPerFrame(file: string, fps = 25): Promise<number[]> {
  const rate = 16000;
  const { stdout } = await runFfmpeg(buildPcmDecodeArgs(file, rate));
  const perFrame = rate / fps;
  const out: number[] = [];
  for (let start = 0; (start + perFrame) * 2 <= stdout.length; start += perFrame) {
    let sum = 0;
    for (let i = 0; i < perFrame; i++) sum += stdout.readInt16LE((start + i) * 2) ** 2;
    out.push(Math.sqrt(sum / perFrame));
  }
  return out;
}

/** Pearson correlation of the pairs where both are numbers. */
export function correlation(a: readonly number[], b: readonly number[]): number {
  const pairs: [number, number][] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? NaN;
    const y = b[i] ?? NaN;
    if (Number.isFinite(x) && Number.isFinite(y)) pairs.push([x, y]);
  }
  if (pairs.length < 3) return NaN;
  const mx = pairs.reduce((s, [x]) => s + x, 0) / pairs.length;
  const my = pairs.reduce((s, [, y]) => s + y, 0) / pairs.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** The series minus its centred moving average over `window` frames (the slow envelope). */
export function detrend(series: readonly number[], window = 7): number[] {
  const half = Math.floor(window / 2);
  return series.map((value, index) => {
    let sum = 0;
    let count = 0;
    for (let k = index - half; k <= index + half; k++) {
      const v = series[k];
      if (v !== undefined && Number.isFinite(v)) {
        sum += v;
        count++;
      }
    }
    return count > 0 ? value - sum / count : NaN;
  });
}

/**
 * The lip-sync score: the best correlation of the detrended series over lags −2..2 frames.
 * `shift` moves the sound by that many frames first (a control: sync, not just motion).
 */
export function lipSyncScore(
  openings: readonly number[],
  loudness: readonly number[],
  shift = 0,
): { score: number; lag: number } {
  const mouth = detrend(openings);
  const sound = detrend(loudness);
  let best = { score: -Infinity, lag: 0 };
  for (let lag = -2; lag <= 2; lag++) {
    const offset = lag + shift;
    const shifted = mouth.map((_, i) => sound[i + offset] ?? NaN);
    const r = correlation(mouth, shifted);
    if (Number.isFinite(r) && r > best.score) best = { score: r, lag };
  }
  return best;
}

/**
 * How far above a mouth's most closed reading a frame still counts as closed: the face engine's
 * lip gap wavers by about this much on lips that stay shut (GRID footage: 0.002–0.005 of the face
 * height between a speaker's 0th and 10th percentile). Speakers differ in what shut reads as
 * (0.002–0.0095), so each is judged against its own.
 */
export const closedAllowance = 0.004;

/** A mouth's most closed reading: the 5th percentile of its lip gaps. */
export function closedReading(openings: readonly number[]): number {
  const sorted = openings.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.floor(0.05 * sorted.length)] ?? NaN;
}

/** One p, b or m and how its frames showed it. */
export interface Closure {
  readonly symbol: string;
  readonly beginMs: number;
  readonly endMs: number;
  /** The frames of the closure: those whose middle falls inside it, else the one it is in. */
  readonly frames: readonly number[];
  /** Of those, the frames whose lip gap was at most the closed gap. */
  readonly closedFrames: number;
}

/**
 * Whether the lips met for every p, b and m: for each, its frames (from the phoneme times) and
 * how many show a lip gap (inner-lip gap over face height, as mouthOpenings measures) at most
 * `closedGap`. A closure counts as closed when all its frames are.
 */
export function closureCheck(
  openings: readonly number[],
  phonemes: readonly PhonemeTiming[],
  alphabet: PhonemeAlphabet,
  options: { readonly fps: number; readonly closedGap: number },
): { closures: Closure[]; closed: number } {
  const frameMs = 1000 / options.fps;
  const closures = phonemes
    .filter((phoneme) => closesLips(phoneme.symbol, alphabet))
    .map((phoneme) => {
      const frames: number[] = [];
      for (
        let k = Math.floor(phoneme.beginMs / frameMs);
        (k + 0.5) * frameMs <= phoneme.endMs;
        k++
      ) {
        if ((k + 0.5) * frameMs >= phoneme.beginMs) frames.push(k);
      }
      if (frames.length === 0)
        frames.push(Math.floor((phoneme.beginMs + phoneme.endMs) / 2 / frameMs));
      const closedFrames = frames.filter(
        (k) => (openings[k] ?? Infinity) <= options.closedGap,
      ).length;
      return { ...phoneme, frames, closedFrames };
    })
    .filter((closure) => closure.frames.every((k) => k < openings.length));
  return {
    closures,
    closed: closures.filter((closure) => closure.closedFrames === closure.frames.length).length,
  };
}
