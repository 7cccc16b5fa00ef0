import { ProcessError, runProcess } from './process.runner.js';

/** What a media file holds, as the pipelines need it. */
export interface MediaInfo {
  readonly container: string;
  readonly durationSeconds: number;
  readonly video?: {
    readonly codec: string;
    /** As displayed: a phone clip filmed upright reports its rotated size. */
    readonly width: number;
    readonly height: number;
    /** Degrees clockwise the player turns the picture (0, 90, 180, 270). */
    readonly rotation: number;
    /** Average frames per second. */
    readonly fps: number;
    /** The frame rate differs from frame to frame (phone recordings often do). */
    readonly variableFrameRate: boolean;
    readonly frames?: number;
  };
  readonly audio?: {
    readonly codec: string;
    readonly sampleRate: number;
    readonly channels: number;
  };
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  sample_rate?: string;
  channels?: number;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
  disposition?: { attached_pic?: number };
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string };
}

function rate(fraction: string | undefined): number {
  const [num = 0, den = 1] = (fraction ?? '0/1').split('/').map(Number);
  return den > 0 && Number.isFinite(num / den) ? num / den : 0;
}

/**
 * ffprobe could not read the file: it is not media, or it is damaged (cut short, its index
 * missing). The sender's fault, so callers answer with their own 4xx code; `reason` is ffprobe's
 * own words with the server's path taken out.
 */
export class MediaUnreadableError extends Error {
  constructor(readonly reason: string) {
    super(`the file cannot be read as media: ${reason}`);
    this.name = 'MediaUnreadableError';
  }
}

/** ffprobe's complaint in a user's terms: no "[mov @ 0x55...]" prefixes, no path, one line. */
export function unreadableReason(stderr: string, file: string): string {
  const lines = stderr
    .split('\n')
    .map((line) =>
      line
        .split(file)
        .join('')
        .replace(/^\[[^\]]*@ ?0x[0-9a-f]+\]\s*/i, '')
        .replace(/^:\s*/, '')
        .trim(),
    )
    .filter((line) => line !== '');
  return [...new Set(lines)].slice(-3).join('; ').slice(0, 300) || 'it is not a media file';
}

async function runProbe(file: string, signal?: AbortSignal): Promise<ProbeOutput> {
  let stdout: Buffer;
  try {
    ({ stdout } = await runProcess(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
      signal ? { signal } : {},
    ));
  } catch (error) {
    // Exit 1 is ffprobe refusing the file; anything else (not installed, killed) is ours.
    if (error instanceof ProcessError && error.exitCode === 1) {
      throw new MediaUnreadableError(unreadableReason(error.stderr, file));
    }
    throw error;
  }
  try {
    return JSON.parse(stdout.toString('utf8')) as ProbeOutput;
  } catch {
    throw new MediaUnreadableError('ffprobe could not describe it');
  }
}

/**
 * Reads a file's container, streams, size, rate and rotation with ffprobe. A file it cannot read
 * rejects with MediaUnreadableError; see `probeOr` for the usual way to answer that.
 */
export async function probeMedia(file: string, signal?: AbortSignal): Promise<MediaInfo> {
  const probe = await runProbe(file, signal);
  const streams = probe.streams ?? [];
  // A cover picture inside an audio file is a "video" stream too; it is not the video.
  const video = streams.find(
    (stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1,
  );
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  const rotationTag = Number(video?.tags?.rotate ?? 0);
  const sideRotation = video?.side_data_list?.find((data) => data.rotation !== undefined)?.rotation;
  // Side data gives the counter-clockwise display matrix angle; players turn clockwise by its negation.
  const rotation = (((sideRotation !== undefined ? -sideRotation : rotationTag) % 360) + 360) % 360;
  const turned = rotation === 90 || rotation === 270;
  const average = rate(video?.avg_frame_rate);
  const nominal = rate(video?.r_frame_rate);
  const frames = Number(video?.nb_frames);
  return {
    container: probe.format?.format_name ?? 'unknown',
    durationSeconds: Number(probe.format?.duration ?? 0) || 0,
    ...(video
      ? {
          video: {
            codec: video.codec_name ?? 'unknown',
            width: (turned ? video.height : video.width) ?? 0,
            height: (turned ? video.width : video.height) ?? 0,
            rotation,
            fps: average || nominal,
            variableFrameRate: average > 0 && nominal > 0 && Math.abs(average - nominal) > 0.01,
            ...(Number.isFinite(frames) && frames > 0 ? { frames } : {}),
          },
        }
      : {}),
    ...(audio
      ? {
          audio: {
            codec: audio.codec_name ?? 'unknown',
            sampleRate: Number(audio.sample_rate ?? 0),
            channels: audio.channels ?? 0,
          },
        }
      : {}),
  };
}

/** Probes, turning an unreadable file into the caller's own refusal (its code, its words). */
export async function probeOr(
  file: string,
  refuse: (reason: string) => Error,
  signal?: AbortSignal,
): Promise<MediaInfo> {
  try {
    return await probeMedia(file, signal);
  } catch (error) {
    if (error instanceof MediaUnreadableError) throw refuse(error.reason);
    throw error;
  }
}
