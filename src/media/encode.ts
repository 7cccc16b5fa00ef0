import { once } from 'node:events';
import { startProcess } from './process.runner.js';

export interface EncodeOptions {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** x264's preset and quality; the defaults suit a model's base video (kept, looked at closely). */
  readonly preset?: string;
  readonly crf?: number;
  readonly signal?: AbortSignal;
}

/** H.264 in 4:2:0 needs even sides: the last column or row of an odd-sized picture is cut. */
export function evenSize(size: number): number {
  return size - (size % 2);
}

/** ffmpeg's arguments for packed RGB frames of width × height read from stdin (input 0). */
export function rgbFramesInput(width: number, height: number, fps: number): string[] {
  return [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${width}x${height}`,
    '-r',
    String(fps),
    '-i',
    '-',
  ];
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
  const { width, height, fps } = options;
  const running = startProcess(
    'ffmpeg',
    [
      ...rgbFramesInput(width, height, fps),
      '-vf',
      `crop=${evenSize(width)}:${evenSize(height)}:0:0,format=yuv420p`,
      '-c:v',
      'libx264',
      '-preset',
      options.preset ?? 'veryfast',
      '-crf',
      String(options.crf ?? 18),
      '-movflags',
      '+faststart',
      out,
    ],
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
