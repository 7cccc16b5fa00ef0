import { AppError } from '../errors/app-error.js';
import type { MediaInfo } from '../media/probe.js';

/** The shortest clip that gives a loopable base and a mouth for every shape. */
export const minClipSeconds = 1;
/** Faces need pixels: below this the mouth atlas would be a smear. */
export const minFrameSide = 128;

export interface SourceNames {
  /** The model being built (its face_feature_id), as the FAQ messages name it. */
  readonly modelId: string;
  readonly fileName: string;
}

type Picture = NonNullable<MediaInfo['video']>;

const refuse = (names: SourceNames, reason: string) =>
  new AppError('avatarSourceInvalid', { fileName: names.fileName, reason });

/** The source's picture stream, or the refusal that says it has none. */
function pictureOf(info: MediaInfo, names: SourceNames, holds: string): Picture {
  const video = info.video;
  if (!video || video.width === 0 || video.height === 0) {
    throw refuse(names, `it holds no ${holds} (${info.container})`);
  }
  return video;
}

/** Faces need pixels: a side under minFrameSide is refused. */
function checkSize(video: Picture, names: SourceNames): Picture {
  if (Math.min(video.width, video.height) < minFrameSide) {
    throw refuse(
      names,
      `its picture is ${video.width}x${video.height}; at least ${minFrameSide} pixels a side is needed`,
    );
  }
  return video;
}

/**
 * What a filmed clip must be before any frame is decoded: a video, with sound, long enough and
 * big enough, and (when `maxSeconds` is given, ANIMA_AVATAR_MAX_SECONDS) not so long that its
 * tracking would cost hours and its landmarks gigabytes. Each refusal names the fix.
 */
export function checkVideoSource(
  info: MediaInfo,
  names: SourceNames,
  maxSeconds?: number,
): Picture {
  const video = pictureOf(info, names, 'video stream');
  if (!info.audio) throw new AppError('avatarNoAudio', { ...names });
  if (info.durationSeconds < minClipSeconds) {
    throw refuse(
      names,
      `it lasts ${info.durationSeconds.toFixed(2)} s; at least ${minClipSeconds} s of the person speaking is needed`,
    );
  }
  if (maxSeconds !== undefined && info.durationSeconds > maxSeconds) {
    throw refuse(
      names,
      `it lasts ${Math.round(info.durationSeconds)} s; at most ${maxSeconds} s is used: cut the part where the person speaks facing the camera`,
    );
  }
  return checkSize(video, names);
}

/** What a photo must be: a picture, big enough for the face in it to give a mouth atlas. */
export function checkImageSource(info: MediaInfo, names: SourceNames): Picture {
  return checkSize(pictureOf(info, names, 'picture'), names);
}
