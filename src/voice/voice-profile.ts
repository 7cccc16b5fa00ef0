/**
 * A personal voice as the TTS engine applies it: the base voice nearest the speaker, and how to
 * move that voice toward the speaker — pitch, formants (the vocal tract's length), speaking rate
 * and an equaliser for the rest of the spectral shape. Derived by measuring the speaker's samples
 * and the base voice's own output the same way (src/voice/speaker-measure.ts).
 *
 * The profile is a versioned file inside the voice model, beside the kept samples, so a better
 * engine can later train from the same samples.
 */
import {
  envelopeFrom,
  envelopeStep,
  spectrumBands,
  type SpeakerMeasures,
} from './speaker-measure.js';

/** How the base voice's output is changed. */
export interface VoiceShape {
  /** Pitch over the base voice's. */
  readonly pitchFactor: number;
  /** Formant frequencies over the base voice's. */
  readonly formantFactor: number;
  /** Speaking rate over the base voice's (a speed ratio). */
  readonly rateFactor: number;
  /** Gain, dB, at the centre of each band of `spectrumBands`. */
  readonly eqDb: readonly number[];
}

export const profileFormat = 'anima.voice-profile';
export const profileVersion = 1;

export interface VoiceProfile {
  readonly format: typeof profileFormat;
  readonly version: typeof profileVersion;
  readonly voiceId: string;
  readonly name: string;
  readonly language: string;
  /** The built-in voice it is made from. */
  readonly base: string;
  /** "profile": the base voice shaped (this file); "onnx": a neural voice the operator supplied. */
  readonly engine: 'profile';
  readonly shape: VoiceShape;
  readonly measured: { readonly speaker: SpeakerMeasures; readonly base: SpeakerMeasures };
  /** The kept samples in the model, 16 kHz mono WAV. */
  readonly samples: readonly string[];
  readonly createdAt: string;
}

/** The band centres the equaliser's gains are given at, Hz. */
export const eqCentres: readonly number[] = spectrumBands
  .slice(0, -1)
  .map((lo, b) => Math.round(Math.sqrt(lo * (spectrumBands[b + 1] ?? lo))));

/** The rate a measure is compared by: phones per second where known, else the syllabic rhythm. */
export function rateOf(measures: SpeakerMeasures, other: SpeakerMeasures): number {
  return measures.phonesPerSecond !== undefined && other.phonesPerSecond !== undefined
    ? measures.phonesPerSecond
    : measures.modulationHz;
}

/** The speaker's rate over the voice's. */
export function rateRatio(speaker: SpeakerMeasures, voice: SpeakerMeasures): number {
  return rateOf(speaker, voice) / Math.max(0.1, rateOf(voice, speaker));
}

export const clamp = (value: number, low: number, high: number) =>
  Math.min(high, Math.max(low, value));

/** The base voice (of the candidates' measures) whose pitch is nearest the speaker's. */
export function nearestBase<T extends { readonly measures: SpeakerMeasures }>(
  speaker: SpeakerMeasures,
  candidates: readonly T[],
): T {
  const distance = (c: T) => Math.abs(Math.log(speaker.pitch.medianHz / c.measures.pitch.medianHz));
  const [best] = [...candidates].sort((a, b) => distance(a) - distance(b));
  if (!best) throw new Error('no base voice to choose from');
  return best;
}

/** The envelope (dB every `envelopeStep` Hz from `envelopeFrom`) read at `hz`. */
function envelopeAt(env: readonly number[], hz: number): number {
  const at = clamp((hz - envelopeFrom) / envelopeStep, 0, env.length - 1.001);
  const k = Math.floor(at);
  return (env[k] ?? 0) * (1 - (at - k)) + (env[k + 1] ?? 0) * (at - k);
}

function correlation(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  const ma = a.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const mb = b.slice(0, n).reduce((s, v) => s + v, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] ?? 0) - ma;
    const db = (b[i] ?? 0) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * The formant factor: the stretch of the frequency axis that best lays the base voice's envelope
 * over the speaker's (vocal tract length normalisation's warp factor), 0.9–1.15, over 300–3500 Hz.
 */
export function formantFactor(speaker: SpeakerMeasures, base: SpeakerMeasures): number {
  const points: number[] = [];
  for (let hz = 300; hz <= 3500; hz += envelopeStep) points.push(hz);
  const target = points.map((hz) => envelopeAt(speaker.envelope, hz));
  let best = 1;
  let bestScore = -Infinity;
  for (let alpha = 0.9; alpha <= 1.1501; alpha += 0.01) {
    const warped = points.map((hz) => envelopeAt(base.envelope, hz / alpha));
    // A small pull toward no warp, so a flat score does not wander.
    const score = correlation(target, warped) - 0.5 * Math.abs(Math.log(alpha));
    if (score > bestScore) {
      bestScore = score;
      best = alpha;
    }
  }
  return Number(best.toFixed(2));
}

/**
 * The shape that moves the base voice toward the speaker. The equaliser takes half the remaining
 * difference of spectral shape (after the formant warp), smoothed over neighbouring bands and held
 * within ±6 dB: the long-term spectrum also carries the room and the microphone, which a voice
 * should not copy whole.
 */
export function deriveShape(speaker: SpeakerMeasures, base: SpeakerMeasures): VoiceShape {
  const alpha = formantFactor(speaker, base);
  const centres = eqCentres;
  // The base's band shape with its formants moved by alpha: read from its bands at f / alpha.
  const baseBands = base.spectrum;
  const warpedBase = centres.map((hz) => {
    const at = centres.findIndex((c) => c >= hz / alpha);
    return at <= 0 ? (baseBands[0] ?? 0) : (baseBands[at] ?? baseBands[baseBands.length - 1] ?? 0);
  });
  const raw = centres.map((_, b) => (speaker.spectrum[b] ?? 0) - (warpedBase[b] ?? 0));
  const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
  const eqDb = raw.map((_, b) => {
    const near = [raw[b - 1], raw[b], raw[b + 1]].filter((v): v is number => v !== undefined);
    const smooth = near.reduce((s, v) => s + v, 0) / near.length - mean;
    return Number(clamp(smooth * 0.5, -6, 6).toFixed(1));
  });
  return {
    pitchFactor: Number(clamp(speaker.pitch.medianHz / base.pitch.medianHz, 0.5, 2).toFixed(3)),
    formantFactor: alpha,
    rateFactor: Number(clamp(rateRatio(speaker, base), 0.6, 1.6).toFixed(3)),
    eqDb,
  };
}
