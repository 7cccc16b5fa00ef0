/**
 * Measuring a speaker from 16 kHz mono speech: where the speech is (10 ms frames against the
 * recording's own noise floor), its pitch (YIN, de Cheveigné and Kawahara 2002), its speaking rate
 * (syllable nuclei: loudness peaks in voiced speech with a dip between them, after de Jong and
 * Wempe 2009), its loudness and its long-term spectrum in bands. The same measures run on the
 * speaker's samples and on a base voice's output, so a voice profile is the difference of two
 * like measurements.
 */

export const measureRate = 16000;
/** 10 ms frames. */
export const hop = 160;
const window = 640;
const minF0 = 60;
const maxF0 = 420;
/** YIN's threshold on the cumulative mean normalised difference. */
const yinThreshold = 0.15;

/** 16-bit PCM → floats in [-1, 1]. */
export function floatsOf(pcm: Buffer): Float32Array {
  const out = new Float32Array(Math.floor(pcm.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(i * 2) / 32768;
  return out;
}

/** Level of each 10 ms frame in dBFS (RMS over a 20 ms window centred on it). */
function frameLevels(x: Float32Array): Float32Array {
  const frames = Math.floor(x.length / hop);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    const from = Math.max(0, f * hop - hop / 2);
    const to = Math.min(x.length, f * hop + hop + hop / 2);
    let sum = 0;
    for (let i = from; i < to; i++) sum += (x[i] ?? 0) ** 2;
    out[f] = 10 * Math.log10(sum / Math.max(1, to - from) + 1e-10);
  }
  return out;
}

export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))] ?? 0;
}

/** Where the speech is: frames above the noise floor by a margin, with short gaps bridged. */
export interface SpeechMap {
  readonly levels: Float32Array;
  readonly speech: Uint8Array;
  /** The quiet between words (10th percentile of level), dBFS. */
  readonly noiseFloorDb: number;
  /** Median level of the speech frames, dBFS. */
  readonly speechLevelDb: number;
  readonly speechSeconds: number;
}

export function findSpeech(x: Float32Array): SpeechMap {
  const levels = frameLevels(x);
  const floor = percentile(levels, 0.1);
  const loud = percentile(levels, 0.95);
  // Speech: 10 dB over the floor and within 35 dB of the loudest (digital silence has none).
  const threshold = Math.max(floor + 10, loud - 35, -90);
  const speech = new Uint8Array(levels.length);
  for (let f = 0; f < levels.length; f++) speech[f] = (levels[f] ?? -100) > threshold ? 1 : 0;
  // Bridge gaps under 150 ms (stops, weak consonants), drop blips under 50 ms.
  fillRuns(speech, 0, 15, 1);
  fillRuns(speech, 1, 5, 0);
  const speechLevels: number[] = [];
  for (let f = 0; f < levels.length; f++) if (speech[f]) speechLevels.push(levels[f] ?? 0);
  return {
    levels,
    speech,
    noiseFloorDb: floor,
    speechLevelDb: speechLevels.length > 0 ? percentile(speechLevels, 0.5) : -100,
    speechSeconds: (speechLevels.length * hop) / measureRate,
  };
}

/** Runs of `value` shorter than `frames`, between other frames, become `into`. */
function fillRuns(marks: Uint8Array, value: number, frames: number, into: number): void {
  let start = -1;
  for (let f = 0; f <= marks.length; f++) {
    if (f < marks.length && marks[f] === value) {
      if (start < 0) start = f;
      continue;
    }
    if (start > 0 && f < marks.length && f - start < frames) marks.fill(into, start, f);
    start = -1;
  }
}

/** Pitch of each 10 ms frame in Hz, 0 where unvoiced (or outside speech). */
export function pitchTrack(x: Float32Array, speech: Uint8Array): Float32Array {
  const frames = speech.length;
  const out = new Float32Array(frames);
  const maxTau = Math.ceil(measureRate / minF0);
  const minTau = Math.floor(measureRate / maxF0);
  const span = Math.max(320, window - maxTau);
  const d = new Float64Array(maxTau + 2);
  for (let f = 0; f < frames; f++) {
    if (!speech[f]) continue;
    const start = f * hop - Math.floor(span / 2);
    if (start < 0 || start + span + maxTau + 1 >= x.length) continue;
    d[0] = 1;
    let running = 0;
    let found = -1;
    for (let tau = 1; tau <= maxTau + 1; tau++) {
      let sum = 0;
      for (let j = start; j < start + span; j++) {
        const diff = (x[j] ?? 0) - (x[j + tau] ?? 0);
        sum += diff * diff;
      }
      running += sum;
      d[tau] = running > 0 ? (sum * tau) / running : 1;
    }
    for (let tau = minTau; tau <= maxTau; tau++) {
      if ((d[tau] ?? 1) < yinThreshold) {
        while (tau + 1 <= maxTau && (d[tau + 1] ?? 1) < (d[tau] ?? 1)) tau++;
        found = tau;
        break;
      }
    }
    if (found < 0) continue;
    // Parabolic interpolation of the dip.
    const a = d[found - 1] ?? 1;
    const b = d[found] ?? 1;
    const c = d[found + 1] ?? 1;
    const shift = a + c - 2 * b !== 0 ? (a - c) / (2 * (a + c - 2 * b)) : 0;
    out[f] = measureRate / (found + Math.max(-1, Math.min(1, shift)));
  }
  return out;
}

/** Voiced frames' pitch: median and the 10th–90th percentile range, Hz. */
export interface PitchSummary {
  readonly medianHz: number;
  readonly lowHz: number;
  readonly highHz: number;
  readonly voicedSeconds: number;
}

function summarisePitch(track: Float32Array): PitchSummary {
  const voiced = Array.from(track).filter((f) => f > 0);
  // Octave errors are rare with YIN but not absent: keep frames within an octave of the median.
  const rough = percentile(voiced, 0.5);
  const kept = voiced.filter((f) => f > rough / 1.9 && f < rough * 1.9);
  return {
    medianHz: percentile(kept, 0.5),
    lowHz: percentile(kept, 0.1),
    highHz: percentile(kept, 0.9),
    voicedSeconds: (voiced.length * hop) / measureRate,
  };
}

/** A new syllable needs a dip of 3 dB since the last one, and 100 ms between their peaks. */
const minDipDb = 3;
const minSyllableFrames = 10;

/**
 * Syllables per second of speaking time (pauses over 300 ms left out): loudness peaks in voiced
 * frames, each at least 3 dB over the dip since the previous one (and 100 ms after it), and above the speech's median
 * level less 12 dB.
 */
function speakingRate(map: SpeechMap, pitch: Float32Array): number {
  const { levels, speech } = map;
  // Smooth the level over 50 ms so one syllable gives one peak.
  const smooth = new Float32Array(levels.length);
  for (let f = 0; f < levels.length; f++) {
    let sum = 0;
    let n = 0;
    for (let k = -2; k <= 2; k++) {
      const v = levels[f + k];
      if (v !== undefined) {
        sum += v;
        n++;
      }
    }
    smooth[f] = sum / n;
  }
  const floor = map.speechLevelDb - 12;
  let nuclei = 0;
  let dip = Infinity;
  let lastPeak = -Infinity;
  let lastAt = -Infinity;
  for (let f = 1; f + 1 < smooth.length; f++) {
    const v = smooth[f] ?? -100;
    dip = Math.min(dip, v);
    const isPeak = v >= (smooth[f - 1] ?? -100) && v > (smooth[f + 1] ?? -100);
    if (!isPeak || !speech[f] || v < floor) continue;
    const voiced = (pitch[f] ?? 0) > 0 || (pitch[f - 1] ?? 0) > 0 || (pitch[f + 1] ?? 0) > 0;
    if (!voiced) continue;
    if ((v - dip >= minDipDb && f - lastAt >= minSyllableFrames) || lastPeak === -Infinity) {
      nuclei++;
      lastPeak = v;
      lastAt = f;
      dip = v;
    } else if (v > lastPeak) {
      lastPeak = v;
    }
  }
  // Speaking time: speech frames plus pauses under 300 ms between them.
  let frames = 0;
  let gap = 0;
  let started = false;
  for (let f = 0; f < speech.length; f++) {
    if (speech[f]) {
      if (started && gap < 30) frames += gap;
      frames++;
      gap = 0;
      started = true;
    } else {
      gap++;
    }
  }
  const seconds = (frames * hop) / measureRate;
  return seconds > 0 ? nuclei / seconds : 0;
}

/**
 * The syllabic rhythm, Hz: the centroid of the loudness envelope's modulation spectrum between 1.5
 * and 9 Hz over the speech (pauses cut out). Unlike counting peaks, it scales with the speaking
 * rate for natural and synthetic speech alike (eSpeak at speed 1 and 0.7: 3.88 and 2.76 Hz).
 */
function syllabicModulation(map: SpeechMap): number {
  const envelope: number[] = [];
  for (let f = 0; f < map.levels.length; f++) {
    if (map.speech[f]) envelope.push(10 ** ((map.levels[f] ?? -100) / 20));
  }
  if (envelope.length < 50) return 0;
  const mean = envelope.reduce((sum, v) => sum + v, 0) / envelope.length;
  const framesPerSecond = measureRate / hop;
  let weighted = 0;
  let total = 0;
  for (let hz = 1.5; hz <= 9.0001; hz += 0.1) {
    const step = (2 * Math.PI * hz) / framesPerSecond;
    let re = 0;
    let im = 0;
    for (let n = 0; n < envelope.length; n++) {
      const v = (envelope[n] ?? 0) - mean;
      re += v * Math.cos(step * n);
      im -= v * Math.sin(step * n);
    }
    const power = re * re + im * im;
    weighted += power * hz;
    total += power;
  }
  return total > 0 ? weighted / total : 0;
}

/** Band edges (Hz) of the long-term spectrum: third-octave-like, 100 Hz to 7.2 kHz. */
export const spectrumBands: readonly number[] = Array.from(
  { length: 19 },
  (_, k) => 100 * 2 ** (k / 3),
).filter((f) => f <= 7200);

const fftSize = 512;

/** In-place radix-2 FFT of (re, im), length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] ?? 0, re[i] ?? 0];
      [im[i], im[j]] = [im[j] ?? 0, im[i] ?? 0];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = (re[b] ?? 0) * wr - (im[b] ?? 0) * wi;
        const xi = (re[b] ?? 0) * wi + (im[b] ?? 0) * wr;
        re[b] = (re[a] ?? 0) - xr;
        im[b] = (im[a] ?? 0) - xi;
        re[a] = (re[a] ?? 0) + xr;
        im[a] = (im[a] ?? 0) + xi;
      }
    }
  }
}

/** Width of one bin of the long-term spectrum, Hz. */
const binHz = measureRate / fftSize;

/** The long-term average power spectrum of the voiced frames (fftSize / 2 bins of `binHz`). */
function longTermPower(x: Float32Array, pitch: Float32Array): Float64Array {
  const power = new Float64Array(fftSize / 2);
  const re = new Float64Array(fftSize);
  const im = new Float64Array(fftSize);
  let count = 0;
  for (let f = 0; f < pitch.length; f++) {
    if (!((pitch[f] ?? 0) > 0)) continue;
    const start = f * hop - fftSize / 2;
    if (start < 0 || start + fftSize > x.length) continue;
    for (let i = 0; i < fftSize; i++) {
      const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (fftSize - 1));
      re[i] = (x[start + i] ?? 0) * hann;
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < fftSize / 2; k++) {
      power[k] = (power[k] ?? 0) + (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2;
    }
    count++;
  }
  for (let k = 0; k < power.length; k++) power[k] = (power[k] ?? 0) / Math.max(1, count);
  return power;
}

/** Power at `hz`, read between bins. */
export function powerAt(power: ArrayLike<number>, hz: number): number {
  const at = Math.min(power.length - 1.001, Math.max(0, hz / binHz));
  const k = Math.floor(at);
  return (power[k] ?? 0) * (1 - (at - k)) + (power[k + 1] ?? 0) * (at - k);
}

/** dB per band of `spectrumBands` (between each edge and the next), mean removed: the shape. */
function bandSpectrum(power: (hz: number) => number): number[] {
  const bands: number[] = [];
  for (let b = 0; b + 1 < spectrumBands.length; b++) {
    const lo = spectrumBands[b] ?? 0;
    const hi = spectrumBands[b + 1] ?? 0;
    let sum = 0;
    const steps = 8;
    for (let i = 0; i < steps; i++) sum += power(lo * (hi / lo) ** ((i + 0.5) / steps));
    bands.push(10 * Math.log10(sum / steps + 1e-12));
  }
  const mean = bands.reduce((a, v) => a + v, 0) / Math.max(1, bands.length);
  return bands.map((v) => v - mean);
}

/**
 * The spectral envelope, dB, every 25 Hz from 200 to 4000 Hz: the long-term spectrum smoothed over
 * about 300 Hz, so the harmonics of the voice's pitch wash out and the formant regions remain.
 */
export function envelope(power: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let hz = envelopeFrom; hz <= envelopeTo; hz += envelopeStep) {
    let sum = 0;
    let n = 0;
    for (let d = -150; d <= 150; d += 12.5) {
      sum += powerAt(power, hz + d);
      n++;
    }
    out.push(10 * Math.log10(sum / n + 1e-12));
  }
  return out;
}

export const envelopeFrom = 200;
const envelopeTo = 4000;
export const envelopeStep = 25;

/** Everything measured about a speaker (or a base voice) from its speech. */
export interface SpeakerMeasures {
  readonly speechSeconds: number;
  readonly pitch: PitchSummary;
  /** Syllables per second of speaking time (loudness peaks: any language). */
  readonly syllablesPerSecond: number;
  /** The syllabic rhythm, Hz (`syllabicModulation`): the rate measure where no recogniser is. */
  readonly modulationHz: number;
  /**
   * Phones per second of speaking time, from the speech recogniser's alignment, where it knows the
   * language: steadier than loudness peaks, and alike for natural and synthetic speech.
   */
  readonly phonesPerSecond?: number;
  /** Median speech level, dBFS. */
  readonly loudnessDb: number;
  /** dB per band of `spectrumBands`, mean removed. */
  readonly spectrum: readonly number[];
  /** The spectral envelope (`envelope`), dB. */
  readonly envelope: readonly number[];
}

export function measureSpeaker(x: Float32Array): SpeakerMeasures {
  const map = findSpeech(x);
  const pitch = pitchTrack(x, map.speech);
  return measureTracked(x, map, pitch);
}

/** The measures of speech already mapped and pitch-tracked (the check stage did both). */
function measureTracked(x: Float32Array, map: SpeechMap, pitch: Float32Array): SpeakerMeasures {
  const power = longTermPower(x, pitch);
  return {
    speechSeconds: map.speechSeconds,
    pitch: summarisePitch(pitch),
    syllablesPerSecond: speakingRate(map, pitch),
    modulationHz: syllabicModulation(map),
    loudnessDb: map.speechLevelDb,
    spectrum: bandSpectrum((hz) => powerAt(power, hz)),
    envelope: envelope(power),
  };
}
