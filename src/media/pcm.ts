/**
 * 16-bit little-endian mono PCM: resampling, gain, silence and WAV framing. Everything the
 * speech engines hand over passes through here, so it is plain TypeScript with no process.
 */

const bytesPerSample = 2;

export function sampleCount(pcm: Buffer): number {
  return Math.floor(pcm.length / bytesPerSample);
}

export function durationMs(pcm: Buffer, sampleRate: number): number {
  return Math.round((sampleCount(pcm) / sampleRate) * 1000);
}

export function silence(ms: number, sampleRate: number): Buffer {
  return Buffer.alloc(Math.round((ms / 1000) * sampleRate) * bytesPerSample);
}

function toFloat(pcm: Buffer): Float32Array {
  const count = sampleCount(pcm);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = pcm.readInt16LE(i * bytesPerSample) / 32768;
  return out;
}

function toPcm(samples: Float32Array, gain = 1): Buffer {
  const out = Buffer.allocUnsafe(samples.length * bytesPerSample);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.round((samples[i] ?? 0) * gain * 32768);
    out.writeInt16LE(Math.max(-32768, Math.min(32767, value)), i * bytesPerSample);
  }
  return out;
}

/** Multiplies every sample by `gain`, clipping at full scale. */
export function applyGain(pcm: Buffer, gain: number): Buffer {
  if (gain === 1) return pcm;
  return toPcm(toFloat(pcm), gain);
}

/** Zeroth-order modified Bessel function, for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 30; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

const halfTaps = 16;
const kaiserBeta = 7;
const tableSteps = 512;
/** A Kaiser-windowed sinc kernel sampled finely, so each output sample costs 2*halfTaps lookups. */
const windowTable = (() => {
  const table = new Float32Array(halfTaps * tableSteps + 1);
  const norm = besselI0(kaiserBeta);
  for (let i = 0; i < table.length; i++) {
    const x = i / tableSteps / halfTaps;
    table[i] = besselI0(kaiserBeta * Math.sqrt(Math.max(0, 1 - x * x))) / norm;
  }
  return table;
})();

const kernels = new Map<number, Float32Array>();

/**
 * The low-pass kernel for one cutoff (1 = the input's Nyquist), sampled every 1/tableSteps of an
 * input sample out to its reach, so resampling costs table lookups and no trigonometry.
 */
function kernelFor(cutoff: number): Float32Array {
  const cached = kernels.get(cutoff);
  if (cached) return cached;
  const reach = halfTaps / cutoff;
  const table = new Float32Array(Math.ceil(reach * tableSteps) + 2);
  for (let i = 0; i < table.length; i++) {
    const scaled = (i / tableSteps) * cutoff;
    if (scaled >= halfTaps) break;
    const window = windowTable[Math.round(scaled * tableSteps)] ?? 0;
    const arg = Math.PI * scaled;
    table[i] = cutoff * (scaled < 1e-9 ? 1 : Math.sin(arg) / arg) * window;
  }
  if (kernels.size > 32) kernels.clear();
  kernels.set(cutoff, table);
  return table;
}

/**
 * Band-limited resampling (Kaiser-windowed sinc, 32 taps at the narrower rate). Accepts any two
 * rates, so a sound can also be sped up or slowed down by declaring it was recorded at another.
 */
export function resample(pcm: Buffer, fromRate: number, toRate: number): Buffer {
  if (fromRate === toRate) return pcm;
  const input = toFloat(pcm);
  const outLength = Math.floor((input.length * toRate) / fromRate);
  const output = new Float32Array(outLength);
  const step = fromRate / toRate;
  // Below the input's Nyquist when going down, so nothing folds back as a whistle.
  const cutoff = Math.min(1, toRate / fromRate);
  const table = kernelFor(cutoff);
  const reach = Math.ceil(halfTaps / cutoff);
  for (let i = 0; i < outLength; i++) {
    const center = i * step;
    const base = Math.floor(center);
    const first = Math.max(0, base - reach + 1);
    const last = Math.min(input.length - 1, base + reach);
    let sum = 0;
    for (let j = first; j <= last; j++) {
      sum += (input[j] ?? 0) * (table[Math.round(Math.abs(center - j) * tableSteps)] ?? 0);
    }
    output[i] = sum;
  }
  return toPcm(output);
}

/** A RIFF WAV file around 16-bit mono PCM. */
export function toWav(pcm: Buffer, sampleRate: number): Buffer {
  return Buffer.concat([wavHeader(pcm.length, sampleRate), pcm]);
}

/** The 44-byte header of a 16-bit mono PCM WAV file holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * bytesPerSample, 28);
  header.writeUInt16LE(bytesPerSample, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** The samples of a 16-bit PCM WAV file: the `data` chunk, found by walking the RIFF chunks. */
export function pcmOfWav(wav: Buffer): Buffer {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a WAV file');
  }
  for (let at = 12; at + 8 <= wav.length;) {
    const size = wav.readUInt32LE(at + 4);
    if (wav.toString('ascii', at, at + 4) === 'data') return wav.subarray(at + 8, at + 8 + size);
    at += 8 + size + (size % 2);
  }
  throw new Error('the WAV file has no data chunk');
}

/** 16-bit little-endian PCM bytes as samples (a copy, aligned whatever the buffer's offset). */
export function samplesOf(pcm: Buffer): Int16Array {
  const samples = new Int16Array(pcm.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = pcm.readInt16LE(i * 2);
  return samples;
}
