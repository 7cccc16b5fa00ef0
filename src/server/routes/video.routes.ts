import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AreaPlatform } from '../../platform.js';
import { parseVideoParam, type VideoJob } from '../../video/video-param.js';
import { checkRecordingAtDoor } from '../../video/recording.js';
import {
  ttsRequest,
  type VideoPhotoPayload,
  type VideoRenderPayload,
} from '../../video/video.handler.js';
import { ok } from '../envelope.js';
import type { Server } from '../types.js';

const prefix = '/api/2dvh/v1/material/video';

type VideoPlatform = AreaPlatform<
  { 'video.render': VideoRenderPayload; 'video.photo': VideoPhotoPayload },
  unknown
>;

/**
 * Everything that can be known before the task runs is checked at the door: the param's shape,
 * the speech (voice, language, ranges, the 80-character rule; a recording already here: readable
 * and not too long), a background file that must exist.
 */
async function checkNow(platform: VideoPlatform, job: VideoJob, appId: string): Promise<string[]> {
  const warnings: string[] = [];
  if (job.speech.kind === 'tts') {
    const plan = platform.speech.tts.plan({ ...ttsRequest(job), appId });
    if (plan.warning) warnings.push(plan.warning);
  } else {
    await checkRecordingAtDoor(platform.files, job.speech.source, appId, platform.config);
  }
  for (const layer of [job.background, ...job.foregrounds]) {
    if (layer?.source.fileId) platform.files.get(layer.source.fileId, appId);
  }
  return warnings;
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
      const job = parseVideoParam(param);
      const warnings = await checkNow(platform, job, request.appId);
      const task = await platform.queue.submit(
        'video.render',
        request.appId,
        { videoName, job },
        { callbackUrl: callbackUrl ?? null, userData: userData ?? null },
      );
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
      const { imageUrl, ...job } = parseVideoParam(param, true);
      const warnings = await checkNow(platform, job, request.appId);
      const task = await platform.queue.submit(
        'video.photo',
        request.appId,
        { videoName, job, image: { url: imageUrl } },
        { callbackUrl: callbackUrl ?? null, userData: userData ?? null },
      );
      return created(request, task.id, warnings);
    },
  );
}
