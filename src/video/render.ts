/**
 * The renderer as fast as ffmpeg takes it: for every output frame, the avatar's picture from the
 * frame source (frame-source.ts; a live session drives the same source by the clock), piped as
 * raw RGB at the avatar's own size into one ffmpeg that scales and lays it over the background,
 * adds the speech, and encodes. Frames stream: memory does not grow with the video's length.
 */
import fs from 'node:fs/promises';
import { once } from 'node:events';
import { startFfmpeg } from '../media/process.runner.js';
import type { AvatarFrames } from './avatar-frames.js';
import { AvatarFrameSource, restingMouth } from './frame-source.js';
import { buildRenderArgs, renderFrameCount, type RenderSpec } from './render.args.js';
import type { MouthFrame } from './viseme-track.js';

export interface RenderOptions extends RenderSpec {
  readonly avatar: AvatarFrames;
  readonly mouths: readonly MouthFrame[];
  /** Where in the base loop the video starts (digital_role.start_frame_index). */
  readonly startFrame?: number;
  readonly signal?: AbortSignal;
  readonly onFrame?: (frame: number, total: number) => void;
}

export async function renderVideo(options: RenderOptions): Promise<{ frames: number }> {
  const { avatar, fps, signal } = options;
  const total = renderFrameCount(options.durationMs, fps);
  const running = startFfmpeg(buildRenderArgs(options), signal ? { signal } : {});
  const failed = running.done.then(() => undefined);
  failed.catch(() => undefined);
  // A few frame buffers in turn: a pipe write holds its buffer until it is flushed, so a buffer is
  // reused only once its write has completed.
  const ring = Array.from({ length: 4 }, () => ({
    frame: new Uint8Array(avatar.width * avatar.height * 3),
    written: Promise.resolve(),
  }));
  const source = new AvatarFrameSource(avatar, options.startFrame ?? 0);
  try {
    for (let n = 0; n < total; n++) {
      signal?.throwIfAborted();
      const slot = ring[n % ring.length] as (typeof ring)[number];
      await Promise.race([slot.written, failed]);
      const frame = source.render(n, options.mouths[n] ?? restingMouth, slot.frame);
      slot.written = new Promise<void>((resolve) => {
        running.stdin.write(frame, () => resolve());
      });
      if (running.stdin.writableNeedDrain) {
        await Promise.race([once(running.stdin, 'drain'), failed]);
      }
      options.onFrame?.(n + 1, total);
    }
  } catch (error) {
    // A pipe that broke because ffmpeg stopped: ffmpeg's own words say why.
    running.stdin.destroy();
    await running.done;
    throw error;
  }
  running.stdin.end();
  await running.done;
  await fs.access(options.out);
  return { frames: total };
}
