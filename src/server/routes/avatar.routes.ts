import { Type } from 'typebox';
import type { AvatarBuildPayload } from '../../avatar/avatar.handler.js';
import type { AvatarRepository } from '../../avatar/avatar.repository.js';
import { badParams } from '../../errors/app-error.js';
import type { AreaPlatform } from '../../platform.js';
import { ok } from '../envelope.js';
import type { Server } from '../types.js';

const prefix = '/api/2dvh/v1/material/avatar';

/** Creating avatar models (the task routes of the area are shared) and listing the app's models. */
export function registerAvatarRoutes(
  app: Server,
  platform: AreaPlatform<
    { 'avatar.build': AvatarBuildPayload },
    { readonly avatars: AvatarRepository }
  >,
): void {
  const models = platform.services.avatars;
  app.post(
    `${prefix}/create`,
    {
      schema: {
        tags: ['avatar'],
        summary:
          'Build an avatar model from a filmed clip (videoUrl) or one photo (imageUrl), or an uploaded file (fileId); answers a taskId',
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 100 }),
          videoUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
          imageUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
          fileId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
          callbackUrl: Type.Optional(Type.String({ maxLength: 4096 })),
          userData: Type.Optional(Type.String({ maxLength: 4096 })),
        }),
      },
    },
    async (request) => {
      const { name, videoUrl, imageUrl, fileId, callbackUrl, userData } = request.body;
      const given = [videoUrl, imageUrl, fileId].filter((value) => value !== undefined);
      if (given.length !== 1) {
        throw badParams([
          { field: 'videoUrl', problem: 'give exactly one of videoUrl, imageUrl and fileId' },
        ]);
      }
      // A file of ours is checked now: a wrong id, or one neither a video nor a picture, answers
      // at once. Whether a source is a clip or a photo is decided by what it holds.
      if (fileId) {
        const file = await platform.files.get(fileId, request.appId);
        if (!/^(video|image)\//.test(file.mimeType)) {
          throw badParams([
            { field: 'fileId', problem: `is ${file.mimeType}, neither a video nor a photo` },
          ]);
        }
      }
      const task = await platform.queue.submit(
        'avatar.build',
        request.appId,
        { name, source: fileId ? { fileId } : { url: videoUrl ?? imageUrl } },
        { callbackUrl: callbackUrl ?? null, userData: userData ?? null },
      );
      return ok({ taskId: task.id });
    },
  );
  app.get(
    `${prefix}/models`,
    { schema: { tags: ['avatar'], summary: "The app's avatar models, newest first" } },
    async (request) =>
      ok({
        models: await Promise.all(
          (await models.list(request.appId)).map(async (model) => ({
            face_feature_id: model.faceFeatureId,
            name: model.name,
            kind: model.kind,
            url: platform.files.signedUrl(await platform.files.get(model.fileId, request.appId)),
            taskId: model.taskId,
            createdAt: model.createdAt,
          })),
        ),
      }),
  );
}
