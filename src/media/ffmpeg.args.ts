/**
 * ffmpeg commands as pure functions of what is asked (STYLE: pure builders, one runner): each
 * returns the arguments after ffmpeg's common flags, which `runFfmpeg` and `startFfmpeg` add.
 * Nothing here runs ffmpeg, so every command is tested as text.
 */

/** H.264 in 4:2:0 needs even sides: the last column or row of an odd-sized picture is cut. */
export function evenSize(size: number): number {
  return size - (size % 2);
}

/** Packed RGB frames of width × height read from stdin (input 0). */
export function buildRgbInputArgs(width: number, height: number, fps: number): string[] {
  return [
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24'],
    ...['-s', `${width}x${height}`, '-r', String(fps), '-i', '-'],
  ];
}

export interface RgbEncodeSpec {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** x264's preset and quality; the defaults suit a model's base video (kept, looked at closely). */
  readonly preset?: string;
  readonly crf?: number;
}

/** RGB frames on stdin to an H.264 MP4 (yuv420p, faststart), odd sides cut to even. */
export function buildRgbEncodeArgs(out: string, spec: RgbEncodeSpec): string[] {
  const { width, height, fps } = spec;
  return [
    ...buildRgbInputArgs(width, height, fps),
    ...['-vf', `crop=${evenSize(width)}:${evenSize(height)}:0:0,format=yuv420p`],
    ...['-c:v', 'libx264', '-preset', spec.preset ?? 'veryfast', '-crf', String(spec.crf ?? 18)],
    ...['-movflags', '+faststart', out],
  ];
}

export interface BaseVideoSpec {
  /** The source clip, and the frames of it (at `fps`, end excluded) that become the base. */
  readonly file: string;
  readonly fps: number;
  readonly startFrame: number;
  readonly endFrame: number;
  /** The size kept from the top left (even). */
  readonly width: number;
  readonly height: number;
  readonly out: string;
}

/** An avatar's base video: a stretch of the source's first video stream, silent, H.264. */
export function buildBaseVideoArgs(spec: BaseVideoSpec): string[] {
  return [
    ...['-i', spec.file, '-map', '0:v:0'],
    '-vf',
    `fps=${spec.fps},trim=start_frame=${spec.startFrame}:end_frame=${spec.endFrame},setpts=PTS-STARTPTS,` +
      `crop=${spec.width}:${spec.height}:0:0,format=yuv420p`,
    '-an',
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-movflags', '+faststart'],
    spec.out,
  ];
}

/**
 * A file's first sound stream as raw 16-bit mono PCM at `sampleRate` on stdout; no more than
 * `maxSeconds` of it when given.
 */
export function buildPcmDecodeArgs(
  file: string,
  sampleRate: number,
  maxSeconds?: number,
): string[] {
  return [
    ...['-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(sampleRate)],
    ...(maxSeconds !== undefined ? ['-t', String(maxSeconds)] : []),
    ...['-f', 's16le', '-'],
  ];
}

export interface FrameDecodeSpec {
  /** Constant output rate: variable-rate input has frames duplicated or dropped. */
  readonly fps: number;
  /** The size frames are scaled to (bicubic). */
  readonly width: number;
  readonly height: number;
  /** Only these frames (0-based at `fps`, ascending, no repeats); all when absent. */
  readonly only?: readonly number[];
  readonly maxSeconds?: number;
}

/** A file's first video stream as packed RGB frames on stdout, upright, at a constant rate. */
export function buildFrameDecodeArgs(file: string, spec: FrameDecodeSpec): string[] {
  const filters = [`fps=${spec.fps}`];
  if (spec.only) {
    filters.push(`select='${spec.only.map((index) => `eq(n\\,${index})`).join('+')}'`);
  }
  filters.push(`scale=${spec.width}:${spec.height}:flags=bicubic`);
  return [
    ...['-i', file, '-map', '0:v:0', '-vf', filters.join(',')],
    // Selected frames keep their own times: nothing is duplicated to fill the gaps.
    ...(spec.only ? ['-vsync', 'passthrough'] : []),
    ...(spec.maxSeconds !== undefined ? ['-t', spec.maxSeconds.toFixed(3)] : []),
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  ];
}

/** Raw 16-bit mono PCM at `sampleRate` through an audio filter, stdin to stdout. */
export function buildPcmFilterArgs(sampleRate: number, filter: string): string[] {
  const format = ['-f', 's16le', '-ar', String(sampleRate), '-ac', '1'];
  return [...format, '-i', 'pipe:0', '-af', filter, ...format, 'pipe:1'];
}

/** Numbered pictures (`pattern`, from 0) tiled into one picture, on white. */
export function buildTileArgs(
  pattern: string,
  columns: number,
  rows: number,
  out: string,
): string[] {
  return [
    ...['-start_number', '0', '-i', pattern],
    ...['-vf', `tile=${columns}x${rows}:padding=4:color=white`, '-frames:v', '1', out],
  ];
}

/** A video played forward then backward, as the renderer loops an avatar's base. */
export function buildForwardBackArgs(video: string, out: string): string[] {
  return [
    ...['-i', video, '-filter_complex'],
    '[0:v]split[forward][back];[back]reverse[backward];[forward][backward]concat=n=2:v=1[v]',
    ...['-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20'],
    ...['-pix_fmt', 'yuv420p', out],
  ];
}
