import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AppError } from '../../src/errors/app-error.js';
import { runFfmpeg } from '../../src/media/process.runner.js';

/** ffmpeg for making test inputs: quiet, overwriting. */
export const ffmpeg = (args: readonly string[]) => runFfmpeg(args);

/** Fast H.264 video (and AAC sound, when kept) for crafted clips. */
export const fastH264 = ['-c:v', 'libx264', '-preset', 'ultrafast'] as const;
export const withAac = [...fastH264, '-c:a', 'aac'] as const;

/** The AppError a call throws; fails the test if it throws something else or nothing. */
export function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

/** The AppError a promise rejects with. */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

/**
 * A file's sound as ffmpeg's EBU R128 meter reads it: integrated loudness (LUFS), true peak
 * (dBTP), and the sound's sample rate. ffmpeg's own meter, so the product's is checked against it.
 */
export async function measuredLoudness(
  file: string,
): Promise<{ lufs: number; truePeak: number; sampleRate: number }> {
  const { stderr } = await promisify(execFile)('ffmpeg', [
    ...['-hide_banner', '-nostats', '-i', file, '-map', '0:a:0'],
    // Per-frame lines at verbose (unseen); the summary at info. Read at 48 kHz, as players play it.
    ...['-af', 'aresample=48000,ebur128=peak=true:framelog=verbose', '-f', 'null', '-'],
  ]);
  const read = (pattern: RegExp) => Number(pattern.exec(stderr)?.[1] ?? NaN);
  return {
    lufs: read(/I:\s+(-?[\d.]+) LUFS/),
    truePeak: read(/True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS/),
    sampleRate: read(/Audio: [^,]+, (\d+) Hz/),
  };
}
