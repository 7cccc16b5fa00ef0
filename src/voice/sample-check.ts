/**
 * The check stage of a voice model: every sample decoded (any format ffmpeg reads) to 16 kHz mono,
 * then judged on its own (readable, speech present, loud enough, not clipped, not drowned in
 * noise) and all together (enough speech, one speaker). Each fault is its own error naming the
 * file and the figure that failed.
 */
import { AppError } from '../errors/app-error.js';
import { buildPcmDecodeArgs } from '../media/ffmpeg.args.js';
import { probeOr } from '../media/probe.js';
import { isAbortError, runFfmpeg } from '../media/process.runner.js';
import {
  findSpeech,
  floatsOf,
  measureRate,
  percentile,
  pitchTrack,
  type SpeechMap,
} from './speaker-measure.js';

export interface VoiceSample {
  readonly name: string;
  readonly file: string;
}

/** A sample that passed: its speech as 16 kHz mono PCM and floats, and where the speech is. */
export interface CheckedSample {
  readonly name: string;
  readonly pcm: Buffer;
  readonly x: Float32Array;
  readonly map: SpeechMap;
  readonly pitch: Float32Array;
}

/** The limits of the check stage. */
const sampleLimits = {
  /** Speech level (median of speech frames), dBFS. */
  minLevelDb: -42,
  /** Share of samples at full scale. */
  maxClipped: 0.001,
  /** Speech over the quiet between words, dB. */
  minSnrDb: 15,
  /** Two groups of pitch this far apart (ratio) are two speakers. */
  speakerPitchRatio: 1.45,
} as const;

async function decode(sample: VoiceSample, signal?: AbortSignal): Promise<Buffer> {
  const unreadable = (reason: string) =>
    new AppError('voiceSampleUnreadable', { fileName: sample.name, reason });
  // Only ffprobe's refusal is the sample's fault: an abort (a cancel, a stop) must reach the queue
  // as an abort, so that a stopped build is put back in the queue rather than failed for good.
  const info = await probeOr(
    sample.file,
    () => unreadable('it is not a media file ffmpeg knows'),
    signal,
  );
  if (!info.audio) throw unreadable('it holds no sound');
  try {
    const { stdout } = await runFfmpeg(
      buildPcmDecodeArgs(sample.file, measureRate),
      signal ? { signal } : {},
    );
    return stdout;
  } catch (error) {
    if (isAbortError(error) || signal?.aborted) throw error;
    throw unreadable('its sound cannot be decoded');
  }
}

/** Share of samples at (or within a hair of) full scale. */
function clippedShare(pcm: Buffer): number {
  let clipped = 0;
  const count = Math.floor(pcm.length / 2);
  for (let i = 0; i < count; i++) if (Math.abs(pcm.readInt16LE(i * 2)) >= 32700) clipped++;
  return count > 0 ? clipped / count : 0;
}

async function checkSample(sample: VoiceSample, signal?: AbortSignal): Promise<CheckedSample> {
  const pcm = await decode(sample, signal);
  const x = floatsOf(pcm);
  const map = findSpeech(x);
  const fileName = sample.name;
  if (map.speechSeconds < 0.3) throw new AppError('voiceNoSpeech', { fileName });
  const clipped = clippedShare(pcm);
  if (clipped > sampleLimits.maxClipped) {
    throw new AppError('voiceClipped', { fileName, percent: (clipped * 100).toFixed(2) });
  }
  if (map.speechLevelDb < sampleLimits.minLevelDb) {
    throw new AppError('voiceTooQuiet', {
      fileName,
      level: map.speechLevelDb.toFixed(1),
      minimum: sampleLimits.minLevelDb,
    });
  }
  const snr = map.speechLevelDb - map.noiseFloorDb;
  if (snr < sampleLimits.minSnrDb) {
    throw new AppError('voiceTooNoisy', {
      fileName,
      snr: snr.toFixed(1),
      minimum: sampleLimits.minSnrDb,
    });
  }
  const pitch = pitchTrack(x, map.speech);
  if (!pitch.some((f) => f > 0)) throw new AppError('voiceNoSpeech', { fileName });
  return { name: sample.name, pcm, x, map, pitch };
}

/**
 * One speaker? The median pitch of each stretch of speech (0.4 s or more, voiced enough); split in
 * two where the groups differ most: if their medians are 1.45 times apart or more and each holds a
 * quarter of the voiced time, two voices are speaking (a man and a woman, an adult and a child;
 * two similar voices cannot be told this way).
 */
function speakerGroups(
  samples: readonly CheckedSample[],
): { low: number; high: number } | undefined {
  const stretches: { hz: number; frames: number }[] = [];
  for (const sample of samples) {
    let start = -1;
    for (let f = 0; f <= sample.map.speech.length; f++) {
      if (f < sample.map.speech.length && sample.map.speech[f]) {
        if (start < 0) start = f;
        continue;
      }
      if (start >= 0 && f - start >= 40) {
        const voiced = Array.from(sample.pitch.subarray(start, f)).filter((v) => v > 0);
        if (voiced.length >= 15)
          stretches.push({ hz: percentile(voiced, 0.5), frames: voiced.length });
      }
      start = -1;
    }
  }
  if (stretches.length < 2) return undefined;
  stretches.sort((a, b) => a.hz - b.hz);
  const total = stretches.reduce((sum, s) => sum + s.frames, 0);
  for (let split = 1; split < stretches.length; split++) {
    const low = stretches.slice(0, split);
    const high = stretches.slice(split);
    const lowFrames = low.reduce((sum, s) => sum + s.frames, 0);
    if (lowFrames < total / 4 || total - lowFrames < total / 4) continue;
    const lowHz = percentile(
      low.map((s) => s.hz),
      0.5,
    );
    const highHz = percentile(
      high.map((s) => s.hz),
      0.5,
    );
    if (highHz / lowHz >= sampleLimits.speakerPitchRatio) {
      return { low: Math.round(lowHz), high: Math.round(highHz) };
    }
  }
  return undefined;
}

/** All samples checked, then together: enough speech, one speaker. */
export async function checkSamples(
  samples: readonly VoiceSample[],
  minSpeechSeconds: number,
  signal?: AbortSignal,
): Promise<CheckedSample[]> {
  const checked: CheckedSample[] = [];
  for (const sample of samples) checked.push(await checkSample(sample, signal));
  const seconds = checked.reduce((sum, s) => sum + s.map.speechSeconds, 0);
  if (seconds < minSpeechSeconds) {
    throw new AppError('voiceTooShort', { seconds: seconds.toFixed(1), minimum: minSpeechSeconds });
  }
  const groups = speakerGroups(checked);
  if (groups) throw new AppError('voiceSeveralSpeakers', groups);
  return checked;
}
