/**
 * A recording as a video's speech, at bounded cost: its length is checked from the probe before
 * anything is decoded (at the door when the file is already ours), decoding stops at the cap
 * whatever the header claimed, and the sound streams to a WAV file and a loudness meter a pipe
 * chunk at a time instead of being held whole in memory.
 */
import fs from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';
import type { FileService, MediaRef } from '../files/file.service.js';
import { LoudnessMeter, loudnessGainDb } from '../media/loudness.js';
import { samplesOf, wavHeader } from '../media/pcm.js';
import { probeOr, type MediaInfo } from '../media/probe.js';
import { buildPcmDecodeArgs } from '../media/ffmpeg.args.js';
import { startFfmpeg } from '../media/process.runner.js';
import { videoSoundRate } from './render.args.js';
import { FrameLevels } from './viseme-track.js';

/**
 * The rate recordings are decoded at: a video's sound rate, so the recording keeps what it has
 * (the recogniser takes it resampled to its own 16 kHz).
 */
export const recordingRate = videoSoundRate;
const bytesPerSecond = recordingRate * 2;

/** The shortest recording worth a video. */
export const minRecordingMs = 500;

export interface RecordingLimits {
  /** ANIMA_RECORDING_MAX_SECONDS. */
  readonly recordingMaxSeconds: number;
}

const invalid = (fileName: string, reason: string) =>
  new AppError('videoRecordingInvalid', { fileName, reason });

const tooLong = (fileName: string, seconds: number | string, limits: RecordingLimits) =>
  new AppError('recordingTooLong', {
    fileName,
    seconds: typeof seconds === 'number' ? Math.round(seconds) : seconds,
    maxSeconds: limits.recordingMaxSeconds,
  });

/** Probes a recording and refuses one that is unreadable, silent or longer than the cap. */
export async function probeRecording(
  file: string,
  fileName: string,
  limits: RecordingLimits,
  signal?: AbortSignal,
): Promise<MediaInfo> {
  const info = await probeOr(file, (reason) => invalid(fileName, reason), signal);
  if (!info.audio) throw invalid(fileName, 'it holds no sound');
  if (info.durationSeconds > limits.recordingMaxSeconds) {
    throw tooLong(fileName, info.durationSeconds, limits);
  }
  return info;
}

/**
 * At the door: a recording that is already ours (a fileId, or a link this server handed out) is
 * probed before the task is accepted; a remote one is checked when the task fetches it.
 */
export async function checkRecordingAtDoor(
  files: FileService,
  source: MediaRef,
  appId: string,
  limits: RecordingLimits,
): Promise<void> {
  const stored = await files.local(source, appId);
  if (stored) await probeRecording(await files.localPath(stored.id), stored.name, limits);
}

export interface DecodedRecording {
  /** A 48 kHz mono WAV file. */
  readonly audio: string;
  readonly durationMs: number;
  readonly levels: FrameLevels;
  /** What brings it to the loudness target (media/loudness.ts), applied when it is encoded. */
  readonly gainDb: number;
}

/**
 * Decodes the recording's first sound track to a 48 kHz mono WAV at `audio`, measuring loudness
 * per video frame (for the mouth) and as a whole (for the gain that brings it to the target).
 * ffmpeg is told to stop one second past the cap, so a header that understates the length costs
 * no more than an honest one.
 */
export async function decodeRecording(
  file: string,
  fileName: string,
  audio: string,
  fps: number,
  limits: RecordingLimits,
  signal?: AbortSignal,
): Promise<DecodedRecording> {
  const running = startFfmpeg(
    buildPcmDecodeArgs(file, recordingRate, limits.recordingMaxSeconds + 1),
    signal ? { signal } : {},
  );
  running.done.catch(() => undefined);
  const levels = new FrameLevels(recordingRate, fps);
  const meter = new LoudnessMeter(recordingRate);
  const handle = await fs.open(audio, 'w');
  let bytes = 0;
  let odd: Buffer | undefined;
  try {
    await handle.write(wavHeader(0, recordingRate), 0, 44, 0);
    for await (const chunk of running.stdout as AsyncIterable<Buffer>) {
      await handle.write(chunk, 0, chunk.length, 44 + bytes);
      bytes += chunk.length;
      // Samples are two bytes; a pipe chunk may end between them.
      const joined = odd ? Buffer.concat([odd, chunk]) : chunk;
      const even = joined.length - (joined.length % 2);
      levels.push(joined.subarray(0, even));
      meter.push(samplesOf(joined.subarray(0, even)));
      odd = even < joined.length ? Buffer.from(joined.subarray(even)) : undefined;
    }
    await running.done.catch((error: unknown) => {
      if (signal?.aborted) throw error;
      throw invalid(fileName, 'its sound cannot be decoded');
    });
    bytes -= bytes % 2;
    await handle.write(wavHeader(bytes, recordingRate), 0, 44, 0);
  } finally {
    running.stdout.destroy();
    await handle.close();
  }
  const durationMs = (bytes * 1000) / bytesPerSecond;
  if (durationMs > limits.recordingMaxSeconds * 1000) {
    // Decoding stopped at the cap: how much longer it is, nobody needs to know.
    throw tooLong(fileName, `more than ${limits.recordingMaxSeconds}`, limits);
  }
  if (durationMs < minRecordingMs) {
    throw invalid(fileName, `it lasts ${(durationMs / 1000).toFixed(2)} s`);
  }
  return { audio, durationMs, levels, gainDb: loudnessGainDb(meter.lufs()) };
}
