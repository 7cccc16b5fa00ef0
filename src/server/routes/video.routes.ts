import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AreaPlatform } from '../../platform.js';
import {
  acceptVideoPhoto,
  acceptVideoRender,
  type VideoDoor,
  type VideoPhotoPayload,
  type VideoRenderPayload,
} from '../../video/video.create.js';
import { ok } from '../envelope.js';
import type { Server } from '../types.js';

const prefix = '/api/2dvh/v1/material/video';

type VideoPlatform = AreaPlatform<
  { 'video.render': VideoRenderPayload; 'video.photo': VideoPhotoPayload },
  unknown
>;

/** What the door checks a create with (video.create.ts: parsed and checked once, there). */
function videoDoor(platform: VideoPlatform): VideoDoor {
  return { tts: platform.speech.tts, files: platform.files, limits: platform.config };
}

/** The create answer: the task, and what the client should know (a voice spoken in another's place). */
function created(request: FastifyRequest, taskId: string, warnings: readonly string[]) {
  for (const warning of warnings) request.log.warn({ appId: request.appId, taskId }, warning);
  return ok({ taskId, ...(warnings.length > 0 ? { warnings } : {}) });
}

const createBody = Type.Object({
  videoName: Type.String({ minLength: 1, maxLength: 100 }),
  thumbnailUrl: Type.Optional(Type.String({ maxLength: 4096 })),
  param: Type.Unknown({
    description:
      'The video param of the hosted API, an object or a JSON string of one: digital_role, tts_config, tts_query, audios, backgrounds, foregrounds, watermark, resolution, frame_rate, bit_rate, video_format, subtitles',
  }),
  callbackUrl: Type.Optional(Type.String({ maxLength: 4096 })),
  userData: Type.Optional(Type.String({ maxLength: 4096 })),
});

/** Creating videos (query, list, cancel and delete are the area's shared task routes). */
export function registerVideoRoutes(app: Server, platform: VideoPlatform): void {
  const door = videoDoor(platform);
  app.post(
    `${prefix}/create`,
    {
      schema: {
        tags: ['video'],
        summary: 'Render a video of an avatar speaking text; answers a taskId',
        body: createBody,
      },
    },
    async (request) => {
      const { videoName, param, callbackUrl, userData } = request.body;
      const { payload, warnings } = await acceptVideoRender(door, {
        videoName,
        param,
        appId: request.appId,
      });
      const task = await platform.queue.submit('video.render', request.appId, payload, {
        callbackUrl: callbackUrl ?? null,
        userData: userData ?? null,
      });
      return created(request, task.id, warnings);
    },
  );
  app.post(
    '/api/2dvh/v1/material/single/image/video/create',
    {
      schema: {
        tags: ['video'],
        summary:
          'Render a video of one photo speaking (param.imageUrl + tts_query): the photo becomes the avatar in the task',
        body: createBody,
      },
    },
    async (request) => {
      const { videoName, param, callbackUrl, userData } = request.body;
      const { payload, warnings } = await acceptVideoPhoto(door, {
        videoName,
        param,
        appId: request.appId,
      });
      const task = await platform.queue.submit('video.photo', request.appId, payload, {
        callbackUrl: callbackUrl ?? null,
        userData: userData ?? null,
      });
      return created(request, task.id, warnings);
    },
  );
}
