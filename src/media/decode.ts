import { buildFrameDecodeArgs } from './ffmpeg.args.js';
import { startFfmpeg } from './process.runner.js';

export interface DecodeOptions {
  /** Output frame rate: variable-rate input becomes constant (frames duplicated or dropped). */
  readonly fps: number;
  /** Scale to this width (height keeps the aspect, rounded to even); the source size if absent. */
  readonly width?: number;
  /**
   * Only these frames (0-based indices at `fps`, ascending): ffmpeg still decodes every frame but
   * converts and sends only these, which matters when a few frames of a long clip are wanted.
   */
  readonly only?: readonly number[];
  readonly signal?: AbortSignal;
  /**
   * Decode no further than this many seconds: a container whose header understates its length
   * then costs no more than the length that was checked.
   */
  readonly maxSeconds?: number;
  /**
   * Fill one buffer for every frame: no garbage per frame, but a frame is valid only until the
   * next is asked for (copy what you keep).
   */
  readonly reuse?: boolean;
}

export interface DecodedFrame {
  /** 0-based, in decode order. */
  readonly index: number;
  readonly width: number;
  readonly height: number;
  /** Packed RGB, 3 bytes a pixel, rows top to bottom. */
  readonly rgb: Buffer;
}

/**
 * Decodes a video's frames one at a time as RGB, upright (ffmpeg applies the rotation), at a
 * constant rate. Frames stream with back-pressure: memory holds about one frame, whatever the
 * clip's length. `size` is the displayed size after rotation (and scaling).
 */
export async function* decodeFrames(
  file: string,
  size: { width: number; height: number },
  options: DecodeOptions,
): AsyncGenerator<DecodedFrame> {
  const width = options.width ?? size.width;
  const height = options.width
    ? Math.round((size.height * options.width) / size.width / 2) * 2
    : size.height;
  const frameBytes = width * height * 3;
  const only = options.only ? [...new Set(options.only)].sort((a, b) => a - b) : undefined;
  if (only?.length === 0) return;
  const running = startFfmpeg(
    buildFrameDecodeArgs(file, {
      fps: options.fps,
      width,
      height,
      ...(only ? { only } : {}),
      ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
    }),
    options.signal ? { signal: options.signal } : {},
  );
  // The exit is awaited at the end; a failure before that must not go unhandled meanwhile.
  running.done.catch(() => undefined);
  let index = 0;
  // Each frame is filled straight into a buffer of its own (no joining of pipe chunks), which
  // the consumer may keep or hand to another thread.
  let frame = Buffer.allocUnsafeSlow(frameBytes);
  let filled = 0;
  try {
    for await (const chunk of running.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - offset);
        chunk.copy(frame, filled, offset, offset + take);
        filled += take;
        offset += take;
        if (filled === frameBytes) {
          const frameIndex = only ? (only[index] ?? index) : index;
          index++;
          yield { index: frameIndex, width, height, rgb: frame };
          if (!options.reuse) frame = Buffer.allocUnsafeSlow(frameBytes);
          filled = 0;
        }
      }
    }
    await running.done;
  } finally {
    // Stopped early by the consumer: the decoder is no longer needed.
    running.stdout.destroy();
  }
}
