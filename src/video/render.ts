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
import type { LayerTiming } from './video-param.js';
import type { MouthFrame } from './viseme-track.js';

export interface Placement {
  /** Top-left corner of the avatar in the output, pixels (of its box before rotation). */
  readonly x: number;
  readonly y: number;
  /** The avatar's size in the output over its own. */
  readonly scale: number;
  /** Degrees clockwise about its centre. */
  readonly rotation?: number;
  /** How many foregrounds the avatar is drawn over (0: under all of them). */
  readonly zPosition?: number;
}

/** A background or foreground: a picture or a video, where it goes and when it shows. */
export interface MediaLayer {
  readonly file: string;
  readonly kind: 'image' | 'video';
  /** [x, y, w, h] in the output; absent: all of it. */
  readonly rect?: readonly [number, number, number, number];
  readonly timing?: LayerTiming;
}

/** The avatar's plain backdrop, keyed out when it stands over a background. */
export interface ChromaKey {
  /** The backdrop's colour, 0xRRGGBB. */
  readonly colour: number;
  /** ffmpeg chromakey's similarity and blend (0–1, of the largest chroma distance). */
  readonly similarity: number;
  readonly blend: number;
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
  readonly background?: MediaLayer;
  readonly foregrounds?: readonly MediaLayer[];
  /** Removes the avatar's backdrop (used only over a background). */
  readonly chromaKey?: ChromaKey;
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

/** How a layer file is read: a picture repeated at the frame rate, a video looped or once, from its offset. */
function layerInput(layer: MediaLayer, fps: number): string[] {
  if (layer.kind === 'image') return ['-loop', '1', '-framerate', String(fps), '-i', layer.file];
  const timing = layer.timing;
  return [
    ...(timing?.cycle === false ? [] : ['-stream_loop', '-1']),
    ...(timing?.playOffset ? ['-ss', timing.playOffset.toFixed(3)] : []),
    '-i',
    layer.file,
  ];
}

const even = (value: number) => Math.max(2, Math.round(value / 2) * 2);

/** The filters that time a layer: cut to its duration, then shifted to its start. */
function timed(timing: LayerTiming | undefined): string {
  const cut = timing?.duration ? `trim=duration=${timing.duration.toFixed(3)},` : '';
  const start = timing?.start ? `+${timing.start.toFixed(3)}/TB` : '';
  return `${cut}setpts=PTS-STARTPTS${start}`;
}

/** After its end a layer is gone when it had a duration, else its last frame stays. */
function afterEnd(layer: MediaLayer): string {
  return layer.timing?.duration ? 'pass' : 'repeat';
}

/** The avatar's chain: keyed, scaled, rotated; and where its box goes. */
function avatarChain(options: RenderOptions): {
  chain: string;
  x: number;
  y: number;
  w: number;
  h: number;
} {
  const { placement, chromaKey, background } = options;
  const w = even(options.avatar.width * placement.scale);
  const h = even(options.avatar.height * placement.scale);
  const steps: string[] = [];
  const key = background ? chromaKey : undefined;
  if (key) {
    const colour = `0x${key.colour.toString(16).padStart(6, '0')}`;
    // The frame's outer pixels (a codec's or camera's dark edge line) go with the wall.
    steps.push(
      `crop=iw-4:ih-4:2:2,format=yuva444p,chromakey=${colour}:${key.similarity}:${key.blend}`,
    );
    steps.push(`scale=${w}:${h}:flags=bilinear`);
  } else {
    // Scaled straight from RGB to 4:2:0 in one swscale pass: its chroma comes from the full-size
    // picture, not from a 4:2:0 one scaled up, and it costs less.
    steps.push(
      `scale=${w}:${h}:flags=bilinear`,
      placement.rotation ? 'format=yuva420p' : 'format=yuv420p',
    );
  }
  let x = placement.x;
  let y = placement.y;
  if (placement.rotation) {
    const angle = (placement.rotation * Math.PI) / 180;
    const ow = even(Math.abs(w * Math.cos(angle)) + Math.abs(h * Math.sin(angle)));
    const oh = even(Math.abs(w * Math.sin(angle)) + Math.abs(h * Math.cos(angle)));
    steps.push(`rotate=${angle.toFixed(6)}:ow=${ow}:oh=${oh}:c=none`);
    x -= (ow - w) / 2;
    y -= (oh - h) / 2;
  }
  return { chain: `[0:v]${steps.join(',')}`, x: Math.round(x), y: Math.round(y), w, h };
}

/**
 * ffmpeg's filter graph: the background (over black where it leaves room or time), the avatar and
 * the foregrounds in their order, then the watermark and subtitles on top. Inputs: 0 the avatar's
 * frames, 1 the sound, then the background and the foregrounds in order.
 */
function filterGraph(options: RenderOptions): string {
  const { width, height, fps, background } = options;
  const steps: string[] = [];
  let input = 2;
  let last = '';
  const black = `color=c=black:s=${width}x${height}:r=${fps},format=yuv420p`;
  const avatar = avatarChain(options);
  const foregrounds = options.foregrounds ?? [];
  const z = Math.min(options.placement.zPosition ?? 0, foregrounds.length);
  const inside =
    avatar.x >= 0 && avatar.y >= 0 && avatar.x + avatar.w <= width && avatar.y + avatar.h <= height;
  // Alone on black and wholly inside: padding gives the pixels an overlay on a black colour
  // source would, for much less work; the avatar is then the base.
  const padded = !background && !options.placement.rotation && z === 0 && inside;
  if (padded) {
    steps.push(`${avatar.chain},pad=${width}:${height}:${avatar.x}:${avatar.y}:black[base]`);
    last = 'base';
  } else {
    steps.push(`${avatar.chain}[avatar]`);
  }
  if (background) {
    const [x, y, w, h] = background.rect ?? [0, 0, width, height];
    steps.push(
      `[${input++}:v]fps=${fps},scale=${even(w)}:${even(h)}:force_original_aspect_ratio=increase,` +
        `crop=${even(w)}:${even(h)},setsar=1,format=yuv420p,${timed(background.timing)}[bg]`,
    );
    if (background.rect || background.timing?.start || background.timing?.duration) {
      steps.push(
        `${black}[canvas]`,
        `[canvas][bg]overlay=x=${Math.round(x)}:y=${Math.round(y)}:eof_action=${afterEnd(background)}[base]`,
      );
      last = 'base';
    } else {
      last = 'bg';
    }
  } else if (!padded) {
    steps.push(`${black}[base]`);
    last = 'base';
  }
  const overAvatar = () => {
    if (padded) return;
    steps.push(
      `[${last}][avatar]overlay=x=${avatar.x}:y=${avatar.y}:shortest=1:eof_action=endall:format=yuv420[withAvatar]`,
    );
    last = 'withAvatar';
  };
  foregrounds.forEach((layer, k) => {
    if (k === z) overAvatar();
    const [x, y, w, h] = layer.rect ?? [0, 0, width, height];
    steps.push(
      `[${input++}:v]fps=${fps},scale=${Math.max(2, Math.round(w))}:${Math.max(2, Math.round(h))},format=yuva420p,${timed(layer.timing)}[fg${k}]`,
      `[${last}][fg${k}]overlay=x=${Math.round(x)}:y=${Math.round(y)}:eof_action=${afterEnd(layer)}:format=yuv420[l${k}]`,
    );
    last = `l${k}`;
  });
  if (z >= foregrounds.length) overAvatar();
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
    // The fast coder: half the CPU of the default (twoloop) on speech, no worse in SNR there.
    '-aac_coder',
    'fast',
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
