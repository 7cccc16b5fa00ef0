import { runProcess } from './process.runner.js';

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

/** Reads a file's container, streams, size, rate and rotation with ffprobe. */
export async function probeMedia(file: string, signal?: AbortSignal): Promise<MediaInfo> {
  const { stdout } = await runProcess(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
    signal ? { signal } : {},
  );
  const probe = JSON.parse(stdout.toString('utf8')) as ProbeOutput;
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
