/**
 * The render's ffmpeg command as pure functions of what is asked: the inputs, the filter graph
 * (padding, timed and placed layers, rotation, z-order, chroma key, watermark, subtitles) and the
 * codec settings. Nothing here runs ffmpeg or touches a file, so every graph is tested as text.
 */
import { buildRgbInputArgs } from '../media/ffmpeg.args.js';
import { loudnessTarget } from '../media/loudness.js';
import type { LayerTiming } from './video-param.js';

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

/** x264's quality target for MP4 when no bit rate is asked for (the preset is configured). */
export const x264Crf = 20;

/** What the render's ffmpeg command depends on: sizes, files and settings, no frames. */
export interface RenderSpec {
  /** The size of the avatar's frames, piped raw as input 0. */
  readonly avatar: { readonly width: number; readonly height: number };
  /** The soundtrack (a WAV file) and its length. */
  readonly audio: string;
  /**
   * Gain for the soundtrack on its way in (dB; a recording brought to the loudness target), its
   * peaks held under the target's ceiling by a look-ahead limiter.
   */
  readonly audioGainDb?: number;
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
}

/**
 * A video's sound is made at 48 kHz: all that a voice engine or a recording has is kept (the
 * engines make 16–48 kHz), and it is the rate AAC and Opus are coded at.
 */
export const videoSoundRate = 48000;

/** Frames in a video of `durationMs` at `fps`: at least one. */
export function renderFrameCount(durationMs: number, fps: number): number {
  return Math.max(1, Math.ceil((durationMs * fps) / 1000));
}

/** A file path inside a quoted filter argument. */
function quotedPath(file: string): string {
  return file.replace(/[\\':]/g, '\\$&');
}

/**
 * How a layer file is read: a picture once (the graph repeats it, see `atFrameRate`), a video
 * looped or once, from its offset.
 */
export function buildLayerInputArgs(layer: MediaLayer): string[] {
  if (layer.kind === 'image') return ['-i', layer.file];
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

/**
 * A layer's frames at the output rate, through `steps` (scaling and the like): a video's resampled
 * to the rate first; a picture's made once and then repeated by the graph, each frame numbered at
 * the rate (decoding a picture again for every frame cost 6 ms a frame at 720p).
 */
function atFrameRate(layer: MediaLayer, fps: number, steps: string): string {
  if (layer.kind === 'image') return `${steps},loop=loop=-1:size=1,settb=1/${fps},setpts=N`;
  return `fps=${fps},${steps}`;
}

/** After its end a layer is gone when it had a duration, else its last frame stays. */
function afterEnd(layer: MediaLayer): string {
  return layer.timing?.duration ? 'pass' : 'repeat';
}

/** The avatar's chain (input 0 keyed, scaled, rotated) and where its box goes in the output. */
export interface AvatarChain {
  readonly chain: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** The avatar's steps before rotation: keyed over a background, else scaled straight to 4:2:0. */
function keyAndScale(spec: CompositionSpec, w: number, h: number): string[] {
  const key = spec.background ? spec.chromaKey : undefined;
  if (key) {
    const colour = `0x${key.colour.toString(16).padStart(6, '0')}`;
    // The frame's outer pixels (a codec's or camera's dark edge line) go with the wall.
    return [
      `crop=iw-4:ih-4:2:2,format=yuva444p,chromakey=${colour}:${key.similarity}:${key.blend}`,
      `scale=${w}:${h}:flags=bilinear`,
    ];
  }
  // Scaled straight from RGB to 4:2:0 in one swscale pass: its chroma comes from the full-size
  // picture, not from a 4:2:0 one scaled up, and it costs less.
  return [
    `scale=${w}:${h}:flags=bilinear`,
    spec.placement.rotation ? 'format=yuva420p' : 'format=yuv420p',
  ];
}

export function buildAvatarChain(spec: CompositionSpec): AvatarChain {
  const { placement } = spec;
  const w = even(spec.avatar.width * placement.scale);
  const h = even(spec.avatar.height * placement.scale);
  const steps = keyAndScale(spec, w, h);
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

/** The layer files a composition reads, in the graph's input order: background, foregrounds. */
export function compositionLayers(spec: CompositionSpec): MediaLayer[] {
  return [...(spec.background ? [spec.background] : []), ...(spec.foregrounds ?? [])];
}

/** A filter graph under construction: its steps and the label of the picture so far. */
interface Graph {
  readonly steps: string[];
  last: string;
  /** The next layer's input number (0 the avatar; the sound, when an input, before the layers). */
  input: number;
}

/** What the picture is made of: the avatar over its layers, with text; no sound, no file. */
export type CompositionSpec = Pick<
  RenderSpec,
  | 'avatar'
  | 'width'
  | 'height'
  | 'fps'
  | 'placement'
  | 'background'
  | 'foregrounds'
  | 'chromaKey'
  | 'watermark'
  | 'burnSubtitles'
>;

/** The background, fitted to its rect and timed; over black where it leaves room or time. */
function addBackground(graph: Graph, spec: CompositionSpec, background: MediaLayer, black: string) {
  const { width, height, fps } = spec;
  const [x, y, w, h] = background.rect ?? [0, 0, width, height];
  const fitted =
    `scale=${even(w)}:${even(h)}:force_original_aspect_ratio=increase,` +
    `crop=${even(w)}:${even(h)},setsar=1,format=yuv420p`;
  graph.steps.push(
    `[${graph.input++}:v]${atFrameRate(background, fps, fitted)},${timed(background.timing)}[bg]`,
  );
  if (background.rect || background.timing?.start || background.timing?.duration) {
    graph.steps.push(
      `${black}[canvas]`,
      `[canvas][bg]overlay=x=${Math.round(x)}:y=${Math.round(y)}:eof_action=${afterEnd(background)}[base]`,
    );
    graph.last = 'base';
  } else {
    graph.last = 'bg';
  }
}

/** A foreground, scaled to its rect and timed, over the picture so far. */
function addForeground(graph: Graph, spec: CompositionSpec, layer: MediaLayer, k: number) {
  const [x, y, w, h] = layer.rect ?? [0, 0, spec.width, spec.height];
  const sized = `scale=${Math.max(2, Math.round(w))}:${Math.max(2, Math.round(h))},format=yuva420p`;
  graph.steps.push(
    `[${graph.input++}:v]${atFrameRate(layer, spec.fps, sized)},${timed(layer.timing)}[fg${k}]`,
    `[${graph.last}][fg${k}]overlay=x=${Math.round(x)}:y=${Math.round(y)}:eof_action=${afterEnd(layer)}:format=yuv420[l${k}]`,
  );
  graph.last = `l${k}`;
}

/** The watermark and the burnt-in subtitles, on top of everything. */
function addText(graph: Graph, spec: CompositionSpec) {
  if (spec.watermark) {
    // The text comes from a file, taken as it is (no quoting or % expansion to get wrong).
    const size = Math.max(12, Math.round(spec.height / 24));
    graph.steps.push(
      `[${graph.last}]drawtext=fontfile='${quotedPath(fontFile)}':textfile='${quotedPath(spec.watermark.file)}':` +
        `expansion=none:fontsize=${size}:fontcolor=white@0.55:x=w-tw-${size}:y=h-th-${size}[marked]`,
    );
    graph.last = 'marked';
  }
  if (spec.burnSubtitles) {
    graph.steps.push(
      `[${graph.last}]subtitles=filename='${quotedPath(spec.burnSubtitles)}':force_style='FontName=WenQuanYi Micro Hei,FontSize=18,Outline=1.5,MarginV=18'[subbed]`,
    );
    graph.last = 'subbed';
  }
}

/**
 * ffmpeg's filter graph: the background (over black where it leaves room or time), the avatar and
 * the foregrounds in their order, then the watermark and subtitles on top. Inputs: 0 the avatar's
 * frames, then from `firstLayer` (2 in a render, whose input 1 is the sound) the background and
 * the foregrounds in order. Its output is `[out]`. A live session composes with the same graph.
 */
export function buildRenderFilterGraph(spec: CompositionSpec, firstLayer = 2): string {
  const { width, height, fps, background } = spec;
  const graph: Graph = { steps: [], last: '', input: firstLayer };
  const black = `color=c=black:s=${width}x${height}:r=${fps},format=yuv420p`;
  const avatar = buildAvatarChain(spec);
  const foregrounds = spec.foregrounds ?? [];
  const z = Math.min(spec.placement.zPosition ?? 0, foregrounds.length);
  const inside =
    avatar.x >= 0 && avatar.y >= 0 && avatar.x + avatar.w <= width && avatar.y + avatar.h <= height;
  // Alone on black and wholly inside: padding gives the pixels an overlay on a black colour
  // source would, for much less work; the avatar is then the base.
  const padded = !background && !spec.placement.rotation && z === 0 && inside;
  if (padded) {
    graph.steps.push(`${avatar.chain},pad=${width}:${height}:${avatar.x}:${avatar.y}:black[base]`);
    graph.last = 'base';
  } else {
    graph.steps.push(`${avatar.chain}[avatar]`);
  }
  if (background) addBackground(graph, spec, background, black);
  else if (!padded) {
    graph.steps.push(`${black}[base]`);
    graph.last = 'base';
  }
  const overAvatar = () => {
    if (padded) return;
    graph.steps.push(
      `[${graph.last}][avatar]overlay=x=${avatar.x}:y=${avatar.y}:shortest=1:eof_action=endall:format=yuv420[withAvatar]`,
    );
    graph.last = 'withAvatar';
  };
  foregrounds.forEach((layer, k) => {
    if (k === z) overAvatar();
    addForeground(graph, spec, layer, k);
  });
  if (z >= foregrounds.length) overAvatar();
  addText(graph, spec);
  graph.steps.push(`[${graph.last}]format=yuv420p[out]`);
  return graph.steps.join(';');
}

type CodecSpec = Pick<RenderSpec, 'format' | 'preset' | 'bitRateMbps'>;

/** The video encoder: VP9 for WebM; x264 for MP4, at a quality (CRF) or a bit rate. */
export function buildRenderVideoCodecArgs(spec: CodecSpec): string[] {
  const rate = spec.bitRateMbps;
  if (spec.format === 'webm') {
    return [
      ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1'],
      ...(rate ? ['-b:v', `${rate}M`] : ['-crf', '32', '-b:v', '0']),
    ];
  }
  return [
    ...['-c:v', 'libx264', '-preset', spec.preset],
    ...(rate
      ? ['-b:v', `${rate}M`, '-maxrate', `${rate}M`, '-bufsize', `${rate * 2}M`]
      : ['-crf', String(x264Crf)]),
  ];
}

/** The encoders: the video's, then Opus for WebM or AAC for MP4 (its index at the front). */
export function buildRenderCodecArgs(spec: CodecSpec): string[] {
  const audio =
    spec.format === 'webm'
      ? ['-c:a', 'libopus', '-b:a', '96k']
      : // The fast coder: half the CPU of the default (twoloop) on speech, no worse in SNR there.
        ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '128k', '-movflags', '+faststart'];
  return [...buildRenderVideoCodecArgs(spec), ...audio, '-ar', String(videoSoundRate)];
}

/**
 * A render whose speech is made while it runs (speech-stream.ts): the sound comes as raw s16le
 * mono on pipe:3, each frame's samples written just before its picture, and the length is not
 * known when ffmpeg starts: the video ends when both pipes do.
 */
export type StreamedRenderSpec = Omit<RenderSpec, 'audio' | 'durationMs'> & {
  readonly audio: { readonly sampleRate: number };
};

function soundFromFile(spec: RenderSpec | StreamedRenderSpec): spec is RenderSpec {
  return typeof spec.audio === 'string';
}

/**
 * ffmpeg opens its inputs one after the other and reads ahead in each to learn what it holds:
 * with two pipes fed in step (frames, sound), told there is nothing to learn (the formats are
 * given) it reads one packet of each, so the writer cannot block it at start.
 */
const noProbe = ['-probesize', '32', '-analyzeduration', '0'];

/** The frames' and the sound's inputs: the sound a WAV file, or raw samples on pipe:3. */
function buildPipeInputArgs(spec: RenderSpec | StreamedRenderSpec): string[] {
  const frames = buildRgbInputArgs(spec.avatar.width, spec.avatar.height, spec.fps);
  if (soundFromFile(spec)) return [...frames, '-i', spec.audio];
  const rate = String(spec.audio.sampleRate);
  return [
    ...noProbe,
    ...frames,
    ...['-f', 's16le', '-ar', rate, '-ac', '1', ...noProbe],
    '-i',
    'pipe:3',
  ];
}

/**
 * The whole render command (after ffmpeg's common flags): the avatar's raw RGB frames on stdin,
 * the sound, the layers, the graph, the encoders, and (from a file) the length cut to whole
 * frames; piped sound is already whole frames long.
 */
export function buildRenderArgs(spec: RenderSpec | StreamedRenderSpec): string[] {
  const { fps } = spec;
  const layers = compositionLayers(spec);
  const length = soundFromFile(spec)
    ? ['-t', (renderFrameCount(spec.durationMs, fps) / fps).toFixed(3)]
    : [];
  const gainDb = soundFromFile(spec) ? spec.audioGainDb : undefined;
  const sound = gainDb === undefined ? '' : `;[1:a]${buildSoundGain(gainDb)}[sound]`;
  return [
    ...buildPipeInputArgs(spec),
    ...layers.flatMap((layer) => buildLayerInputArgs(layer)),
    ...['-filter_complex', buildRenderFilterGraph(spec) + sound],
    ...['-map', '[out]', '-map', gainDb === undefined ? '1:a' : '[sound]'],
    ...buildRenderCodecArgs(spec),
    ...['-r', String(fps), ...length, spec.out],
  ];
}

/**
 * A gain through ffmpeg's look-ahead limiter, peaks held at the loudness target's ceiling; the
 * limiter's delay compensated, so the sound stays on its frames.
 */
export function buildSoundGain(gainDb: number): string {
  const level = Math.min(64, Math.max(1 / 64, 10 ** (gainDb / 20)));
  const limit = 10 ** (loudnessTarget.peakDbfs / 20);
  return `alimiter=level_in=${level.toFixed(4)}:limit=${limit.toFixed(4)}:level=false:latency=true`;
}

/** The thumbnail: the video's first frame as a JPEG. */
export function buildThumbnailArgs(video: string, out: string): string[] {
  return ['-i', video, '-frames:v', '1', '-q:v', '3', out];
}

/**
 * The picture alone, frame by frame (a live session's compositor): the avatar's raw RGB frames on
 * stdin, its layers, the same graph as a render, and raw 4:2:0 frames of the output size on
 * stdout, each written out as soon as it is made.
 */
export function buildComposeArgs(spec: CompositionSpec): string[] {
  const layers = compositionLayers(spec);
  return [
    ...buildRgbInputArgs(spec.avatar.width, spec.avatar.height, spec.fps),
    ...layers.flatMap((layer) => buildLayerInputArgs(layer)),
    ...['-filter_complex', buildRenderFilterGraph(spec, 1)],
    ...['-map', '[out]', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-flush_packets', '1', 'pipe:1'],
  ];
}
