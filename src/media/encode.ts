import { once } from 'node:events';
import { buildRgbEncodeArgs, type RgbEncodeSpec } from './ffmpeg.args.js';
import { startFfmpeg } from './process.runner.js';

export interface EncodeOptions extends RgbEncodeSpec {
  readonly signal?: AbortSignal;
}

/** Frames in, an MP4 out: raw RGB frames written one by one with back-pressure. */
export interface FrameEncoder {
  /** Resolves when ffmpeg has taken the frame (or buffered it); rejects if ffmpeg failed. */
  write(rgb: Uint8Array): Promise<void>;
  /** Ends the input and waits for the file to be complete. */
  finish(): Promise<void>;
}

/**
 * An H.264 MP4 (yuv420p, faststart) encoded from packed RGB frames of width × height; odd sides
 * are cut to even. ffmpeg holds a few frames at most: memory does not grow with the length.
 */
export function startEncoder(out: string, options: EncodeOptions): FrameEncoder {
  const { width, height } = options;
  const running = startFfmpeg(
    buildRgbEncodeArgs(out, options),
    options.signal ? { signal: options.signal } : {},
  );
  // A failure surfaces through write() or finish(), whichever comes first; never unhandled.
  const failed = running.done.then(
    () => undefined,
    (error: unknown) => {
      throw error;
    },
  );
  failed.catch(() => undefined);
  const frameBytes = width * height * 3;
  return {
    async write(rgb) {
      if (rgb.length !== frameBytes) {
        throw new Error(`a frame of ${rgb.length} bytes, expected ${frameBytes}`);
      }
      if (running.stdin.write(rgb)) return;
      try {
        await Promise.race([once(running.stdin, 'drain'), failed]);
      } catch (error) {
        // A pipe that broke because ffmpeg stopped: ffmpeg's own words say why.
        running.stdin.destroy();
        await running.done;
        throw error;
      }
    },
    async finish() {
      running.stdin.end();
      await running.done;
    },
  };
}
