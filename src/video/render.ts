/**
 * The renderer as fast as ffmpeg takes it: for every output frame, the avatar's picture from the
 * frame source (frame-source.ts; a live session drives the same source by the clock), piped as
 * raw RGB at the avatar's own size into one ffmpeg that scales and lays it over the background,
 * adds the speech, and encodes. Frames stream: memory does not grow with the video's length.
 * The speech is a WAV file made first (recordings, burnt-in subtitles), or is made while the
 * render runs (renderStreamed): each frame is drawn once the speech covers it, its samples piped
 * just before its picture, as a live session feeds its encoder.
 */
import fs from 'node:fs/promises';
import { once } from 'node:events';
import { startFfmpeg, type RunningProcess } from '../media/process.runner.js';
import type { AvatarFrames } from './avatar-frames.js';
import { AvatarFrameSource, restingMouth } from './frame-source.js';
import {
  buildRenderArgs,
  renderFrameCount,
  type RenderSpec,
  type StreamedRenderSpec,
} from './render.args.js';
import type { SpeechStream } from './speech-stream.js';
import type { MouthFrame } from './viseme-track.js';

interface Drawing {
  readonly avatar: AvatarFrames;
  /** Where in the base loop the video starts (digital_role.start_frame_index). */
  readonly startFrame?: number;
  readonly signal?: AbortSignal;
  /** Frame `frame` was handed to ffmpeg; `total` is exact once the speech's length is known. */
  readonly onFrame?: (frame: number, total: number) => void;
}

export type RenderOptions = RenderSpec & Drawing & { readonly mouths: readonly MouthFrame[] };

export type StreamedRenderOptions = Omit<StreamedRenderSpec, 'audio'> &
  Drawing & { readonly speech: SpeechStream };

/** What frame `n` is, or undefined past the last; `mouth` and its samples to write first, if any. */
type NextFrame = (
  n: number,
) => Promise<
  { readonly mouth: MouthFrame; readonly sound?: Buffer; readonly total: number } | undefined
>;

/** The speech made first: every frame's mouth known, the sound read by ffmpeg from its file. */
export async function renderVideo(options: RenderOptions): Promise<{ frames: number }> {
  const total = renderFrameCount(options.durationMs, options.fps);
  const running = startFfmpeg(
    buildRenderArgs(options),
    options.signal ? { signal: options.signal } : {},
  );
  return drive(running, options, (n) =>
    Promise.resolve(n < total ? { mouth: options.mouths[n] ?? restingMouth, total } : undefined),
  );
}

/**
 * The speech made while the render runs: frame n waits until the speech covers it (offline,
 * nothing is late: the render waits rather than invent a picture), then its samples go to pipe:3
 * and its picture to stdin. The length is known once TTS ends.
 */
export async function renderStreamed(options: StreamedRenderOptions): Promise<{ frames: number }> {
  const { speech, signal } = options;
  const { timeline } = speech;
  const running = startFfmpeg(
    buildRenderArgs({ ...options, audio: { sampleRate: timeline.sampleRate } }),
    { extraInputs: 1, ...(signal ? { signal } : {}) },
  );
  const samples = new Int16Array(Math.ceil(timeline.sampleRate / timeline.fps) + 1);
  return drive(running, options, async (n) => {
    await speech.covered(n);
    const total = speech.result?.frames;
    if (total !== undefined && n >= total) return undefined;
    // Pieces already drawn are let go: memory holds what is not yet drawn.
    timeline.forget(n);
    const sound = timeline.audioInto(n, samples.subarray(0, timeline.samplesIn(n)));
    return {
      mouth: timeline.mouthAt(n),
      sound: Buffer.from(sound.buffer.slice(sound.byteOffset, sound.byteOffset + sound.byteLength)),
      total: total ?? speech.estimatedFrames(),
    };
  });
}

/** Frames into ffmpeg until `next` says the last is written, then ffmpeg finishes the file. */
async function drive(
  running: RunningProcess,
  options: Drawing & { readonly out: string },
  next: NextFrame,
): Promise<{ frames: number }> {
  const { avatar, signal } = options;
  const failed = running.done.then(() => undefined);
  failed.catch(() => undefined);
  // A few frame buffers in turn: a pipe write holds its buffer until it is flushed, so a buffer is
  // reused only once its write has completed.
  const ring = Array.from({ length: 4 }, () => ({
    frame: new Uint8Array(avatar.width * avatar.height * 3),
    written: Promise.resolve(),
  }));
  const source = new AvatarFrameSource(avatar, options.startFrame ?? 0);
  let n = 0;
  try {
    for (; ; n++) {
      signal?.throwIfAborted();
      const frame = await Promise.race([next(n), failed]);
      if (!frame) break;
      const slot = ring[n % ring.length] as (typeof ring)[number];
      await Promise.race([slot.written, failed]);
      // Sound first, never awaited: ffmpeg reads its inputs in turn and must not wait on one
      // held back, and the sound written is never more than a frame ahead of the pictures.
      if (frame.sound) running.inputs[0]?.write(frame.sound);
      const picture = source.render(n, frame.mouth, slot.frame);
      slot.written = new Promise<void>((resolve) => {
        running.stdin.write(picture, () => resolve());
      });
      if (running.stdin.writableNeedDrain) {
        await Promise.race([once(running.stdin, 'drain'), failed]);
      }
      options.onFrame?.(n + 1, frame.total);
    }
  } catch (error) {
    // A pipe that broke because ffmpeg stopped: ffmpeg's own words say why.
    running.stdin.destroy();
    for (const input of running.inputs) input.destroy();
    await running.done;
    throw error;
  }
  running.stdin.end();
  for (const input of running.inputs) input.end();
  await running.done;
  await fs.access(options.out);
  return { frames: n };
}
