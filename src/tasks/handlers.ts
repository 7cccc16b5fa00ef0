import { avatarBuildHandler, type AvatarBuildPayload } from '../avatar/avatar.handler.js';
import {
  videoPhotoHandler,
  videoRenderHandler,
  type VideoPhotoPayload,
  type VideoRenderPayload,
} from '../video/video.handler.js';
import type { TaskServices } from '../platform.js';
import { voiceBuildHandler, type VoiceBuildPayload } from '../voice/voice-model.handler.js';
import type { TaskHandlers } from './task.queue.js';

/**
 * Task payloads by task type: one entry per type, and `productHandlers` below must have a handler
 * for each, or the build fails. Features add their types here as they land.
 */
export type ProductPayloads = {
  'avatar.build': AvatarBuildPayload;
  'video.render': VideoRenderPayload;
  'video.photo': VideoPhotoPayload;
  'voice.build': VoiceBuildPayload;
};

/** The product's handlers, built with the platform's services once they exist. */
export function productHandlers(services: TaskServices): TaskHandlers<ProductPayloads> {
  return {
    'avatar.build': avatarBuildHandler(services),
    'video.render': videoRenderHandler(services),
    'video.photo': videoPhotoHandler(services),
    'voice.build': voiceBuildHandler(services),
  };
}
