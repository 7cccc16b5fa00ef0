/**
 * Applying a voice shape to the base voice's speech: formants moved by resampling, pitch set by
 * Rubber Band with the formants kept (ffmpeg's rubberband filter, librubberband from Debian), the
 * length restored, then the equaliser. The speech keeps its length, so every word and phoneme
 * timing of the engine still holds.
 */
import { buildPcmFilterArgs } from '../media/ffmpeg.args.js';
import { runFfmpeg } from '../media/process.runner.js';
import { eqCentres, type VoiceShape } from './voice-profile.js';

/** The ffmpeg audio filter for a shape at `sampleRate`. */
export function shapeFilter(shape: VoiceShape, sampleRate: number): string {
  const steps: string[] = [];
  const alpha = shape.formantFactor;
  if (Math.abs(alpha - 1) >= 0.01) {
    // Played faster by alpha: formants and pitch up by alpha, length down; then stretched back.
    steps.push(`asetrate=${Math.round(sampleRate * alpha)}`, `aresample=${sampleRate}`);
  }
  const pitch = shape.pitchFactor / alpha;
  const tempo = 1 / alpha;
  if (Math.abs(pitch - 1) >= 0.005 || Math.abs(tempo - 1) >= 0.005) {
    steps.push(
      `rubberband=tempo=${tempo.toFixed(5)}:pitch=${pitch.toFixed(5)}:formant=preserved:transients=crisp:window=short`,
    );
  }
  const entries = shape.eqDb
    .map((gain, b) => `entry(${eqCentres[b] ?? 1000},${gain.toFixed(1)})`)
    .join(';');
  if (shape.eqDb.some((gain) => Math.abs(gain) >= 0.5)) {
    steps.push(`firequalizer=gain_entry='${entries}'`);
  }
  return steps.length > 0 ? steps.join(',') : 'anull';
}

/** 16-bit mono PCM at `sampleRate`, shaped, of the same length. */
export async function shapeSpeech(
  pcm: Buffer,
  sampleRate: number,
  shape: VoiceShape,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (pcm.length === 0) return pcm;
  const { stdout } = await runFfmpeg(
    buildPcmFilterArgs(sampleRate, shapeFilter(shape, sampleRate)),
    {
      input: pcm,
      ...(signal ? { signal } : {}),
    },
  );
  // Rubber Band's edges may leave a few ms more or less: the engine's length is the length.
  if (stdout.length === pcm.length) return stdout;
  const out = Buffer.alloc(pcm.length);
  stdout.copy(out, 0, 0, Math.min(stdout.length, out.length));
  return out;
}
