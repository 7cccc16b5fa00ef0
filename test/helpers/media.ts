import assert from 'node:assert/strict';
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
