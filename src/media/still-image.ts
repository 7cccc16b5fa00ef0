import type { MediaInfo } from './probe.js';

/** A still picture (PNG, JPEG, WebP, ...) rather than a clip, as ffprobe sees it. */
export function isStillImage(info: MediaInfo): boolean {
  return /_pipe$|^image2$/.test(info.container) && info.durationSeconds <= 0.05;
}
