/**
 * The renderer: for every output frame, the avatar's base frame (played forward and back) with
 * the mouth of that frame pasted in, piped as raw RGB at the avatar's own size into one ffmpeg that
 * scales and lays it over the background, adds the speech, and encodes. Frames stream: memory does
 * not grow with the video's length.
 */
import fs from 'node:fs/promises';
import { once } from 'node:events';
import { rgbFramesInput } from '../media/encode.js';
import { startProcess } from '../media/process.runner.js';
import { baseIndex, type AvatarFrames } from './avatar-frames.js';
import { blendMouths, pasteMouth } from './mouth-paste.js';
import type { MouthFrame } from './viseme-track.js';

export interface Placement {
  /** Top-left corner of the avatar in the output, pixels. */
  readonly x: number;
  readonly y: number;
  /** The avatar's size in the output over its own. */
  readonly scale: number;
}

export interface BackgroundLayer {
  readonly file: string;
  readonly kind: 'image' | 'video';
}

/** A picture or video over the avatar: in `rect` [x, y, w, h] of the output, or over all of it. */
export interface ForegroundLayer extends BackgroundLayer {
  readonly rect?: readonly [number, number, number, number];
}

/** The font that draws watermarks and subtitles, Chinese included (Debian fonts-wqy-microhei). */
export const fontFile = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

export interface RenderOptions {
  readonly avatar: AvatarFrames;
  readonly mouths: readonly MouthFrame[];
  /** Where in the base loop the video starts (digital_role.start_frame_index). */
  readonly startFrame?: number;
  /** The soundtrack (a WAV file) and its length. */
  readonly audio: string;
  readonly durationMs: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly format: 'mp4' | 'webm';
  /** x264's preset (ANIMA_VIDEO_PRESET). */
  readonly preset: string;
  /** Video bit rate; quality-based (CRF) when absent. */
  readonly bitRateMbps?: number;
  readonly placement: Placement;
  readonly background?: BackgroundLayer;
  readonly foregrounds?: readonly ForegroundLayer[];
  /** Text drawn in the bottom right corner, half transparent (a UTF-8 text file). */
  readonly watermark?: { readonly file: string };
  /** Subtitles to burn in (an SRT file), when asked for. */
  readonly burnSubtitles?: string;
  readonly out: string;
  readonly signal?: AbortSignal;
  readonly onFrame?: (frame: number, total: number) => void;
}

/** A file path inside a quoted filter argument. */
function quotedPath(file: string): string {
  return file.replace(/[\\':]/g, '\\$&');
}

/** How a layer file is read: a picture repeated at the frame rate, a video looped. */
function layerInput(layer: BackgroundLayer, fps: number): string[] {
  return layer.kind === 'image'
    ? ['-loop', '1', '-framerate', String(fps), '-i', layer.file]
    : ['-stream_loop', '-1', '-i', layer.file];
}

/**
 * ffmpeg's filter graph: background, the avatar over it, foregrounds over that, then the
 * watermark and subtitles on top. Inputs: 0 the avatar's frames, 1 the sound, then the background
 * and the foregrounds in order.
 */
function filterGraph(options: RenderOptions): string {
  const { width, height, fps, placement } = options;
  const avatarW = Math.max(2, Math.round((options.avatar.width * placement.scale) / 2) * 2);
  const avatarH = Math.max(2, Math.round((options.avatar.height * placement.scale) / 2) * 2);
  const steps = [`[0:v]format=yuv420p,scale=${avatarW}:${avatarH}:flags=bilinear[avatar]`];
  let input = 2;
  if (options.background) {
    steps.push(
      `[${input++}:v]fps=${fps},scale=${width}:${height}:force_original_aspect_ratio=increase,` +
        `crop=${width}:${height},setsar=1[bg]`,
    );
  } else {
    steps.push(`color=c=black:s=${width}x${height}:r=${fps},format=yuv420p[bg]`);
  }
  steps.push(
    `[bg][avatar]overlay=x=${Math.round(placement.x)}:y=${Math.round(placement.y)}:shortest=1:eof_action=endall:format=yuv420[l0]`,
  );
  let last = 'l0';
  (options.foregrounds ?? []).forEach((layer, k) => {
    const [x, y, w, h] = layer.rect ?? [0, 0, width, height];
    steps.push(
      `[${input++}:v]fps=${fps},scale=${Math.max(2, Math.round(w))}:${Math.max(2, Math.round(h))},format=yuva420p[fg${k}]`,
      `[${last}][fg${k}]overlay=x=${Math.round(x)}:y=${Math.round(y)}:eof_action=repeat:format=yuv420[l${k + 1}]`,
    );
    last = `l${k + 1}`;
  });
  if (options.watermark) {
    // The text comes from a file, taken as it is (no quoting or % expansion to get wrong).
    const size = Math.max(12, Math.round(height / 24));
    steps.push(
      `[${last}]drawtext=fontfile='${quotedPath(fontFile)}':textfile='${quotedPath(options.watermark.file)}':` +
        `expansion=none:fontsize=${size}:fontcolor=white@0.55:x=w-tw-${size}:y=h-th-${size}[marked]`,
    );
    last = 'marked';
  }
  if (options.burnSubtitles) {
    steps.push(
      `[${last}]subtitles=filename='${quotedPath(options.burnSubtitles)}':force_style='FontName=WenQuanYi Micro Hei,FontSize=18,Outline=1.5,MarginV=18'[subbed]`,
    );
    last = 'subbed';
  }
  steps.push(`[${last}]format=yuv420p[out]`);
  return steps.join(';');
}

/** x264's quality target for MP4 when no bit rate is asked for (the preset is configured). */
export const x264Crf = 20;

function codecArgs(options: RenderOptions): string[] {
  const rate = options.bitRateMbps;
  if (options.format === 'webm') {
    return [
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-row-mt',
      '1',
      ...(rate ? ['-b:v', `${rate}M`] : ['-crf', '32', '-b:v', '0']),
      '-c:a',
      'libopus',
      '-b:a',
      '96k',
    ];
  }
  return [
    '-c:v',
    'libx264',
    '-preset',
    options.preset,
    ...(rate
      ? ['-b:v', `${rate}M`, '-maxrate', `${rate}M`, '-bufsize', `${rate * 2}M`]
      : ['-crf', String(x264Crf)]),
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-movflags',
    '+faststart',
  ];
}

export async function renderVideo(options: RenderOptions): Promise<{ frames: number }> {
  const { avatar, fps, signal } = options;
  const total = Math.max(1, Math.ceil((options.durationMs * fps) / 1000));
  const layers = [
    ...(options.background ? [options.background] : []),
    ...(options.foregrounds ?? []),
  ].flatMap((layer) => layerInput(layer, fps));
  const running = startProcess(
    'ffmpeg',
    [
      ...rgbFramesInput(avatar.width, avatar.height, fps),
      '-i',
      options.audio,
      ...layers,
      '-filter_complex',
      filterGraph(options),
      '-map',
      '[out]',
      '-map',
      '1:a',
      ...codecArgs(options),
      '-r',
      String(fps),
      '-t',
      (total / fps).toFixed(3),
      options.out,
    ],
    signal ? { signal } : {},
  );
  const failed = running.done.then(() => undefined);
  failed.catch(() => undefined);
  // A few frame buffers in turn: a pipe write holds its buffer until it is flushed, so a buffer is
  // reused only once its write has completed.
  const ring = Array.from({ length: 4 }, () => ({
    frame: new Uint8Array(avatar.width * avatar.height * 3),
    written: Promise.resolve(),
  }));
  const blended = new Uint8Array(avatar.mouthSize * avatar.mouthSize * 3);
  const closed = avatar.mouths.get('closed');
  try {
    for (let n = 0; n < total; n++) {
      signal?.throwIfAborted();
      const slot = ring[n % ring.length] as (typeof ring)[number];
      await Promise.race([slot.written, failed]);
      const frame = slot.frame;
      const index = baseIndex(n + (options.startFrame ?? 0), avatar.frames.length);
      avatar.frames.read(index, frame);
      const mouth = options.mouths[n] ?? { from: 'closed', to: 'closed', mix: 0 };
      const from = avatar.mouths.get(mouth.from) ?? closed;
      const to = avatar.mouths.get(mouth.to) ?? closed;
      const region = avatar.regions[index];
      if (from && to && region) {
        pasteMouth(
          frame,
          avatar.width,
          avatar.height,
          region,
          blendMouths(from, to, mouth.mix, blended),
          avatar.mouthSize,
        );
      }
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
