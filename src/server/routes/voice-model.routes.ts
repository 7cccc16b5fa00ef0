import { Type } from 'typebox';
import { AppError, badParams } from '../../errors/app-error.js';
import type { AreaPlatform } from '../../platform.js';
import { baseVoicesFor, type VoiceBuildPayload } from '../../voice/voice-model.handler.js';
import type { VoiceModelRepository } from '../../voice/voice-model.repository.js';
import { supportedTtsLanguages } from '../../voice/voices.js';
import { ok } from '../envelope.js';
import type { Server } from '../types.js';

const prefix = '/api/voice/v1/model';
const maxSamples = 20;

/** Training personal voices (query, list and delete are the area's shared task routes). */
export function registerVoiceModelRoutes(
  app: Server,
  platform: AreaPlatform<
    { 'voice.build': VoiceBuildPayload },
    { readonly voiceModels: VoiceModelRepository }
  >,
): void {
  const models = platform.services.voiceModels;
  app.post(
    `${prefix}/create`,
    {
      schema: {
        tags: ['voice'],
        summary:
          'Train a personal TTS voice from recordings of one person (audioUrls or fileIds); answers a taskId',
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 100 }),
          language: Type.String({ minLength: 1, maxLength: 20 }),
          audioUrls: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: maxSamples }),
          ),
          fileIds: Type.Optional(
            Type.Array(Type.String({ pattern: '^[0-9a-f]{32}$' }), { maxItems: maxSamples }),
          ),
          humanLabel: Type.Optional(Type.Boolean()),
          callbackUrl: Type.Optional(Type.String({ maxLength: 4096 })),
          userData: Type.Optional(Type.String({ maxLength: 4096 })),
        }),
      },
    },
    async (request) => {
      const { name, language, audioUrls = [], fileIds = [], humanLabel } = request.body;
      // The FAQ's answer, at once: manual labelling is not supported.
      if (humanLabel) throw new AppError('voiceHumanLabel');
      if (baseVoicesFor(language).length === 0) {
        throw new AppError('languageNotSupported', {
          language,
          what: 'voice training',
          supported: supportedTtsLanguages.join(', '),
        });
      }
      if (audioUrls.length + fileIds.length === 0) {
        throw badParams([
          { field: 'audioUrls', problem: 'give the recordings: audioUrls or fileIds' },
        ]);
      }
      if (audioUrls.length + fileIds.length > maxSamples) {
        throw badParams([{ field: 'fileIds', problem: `at most ${maxSamples} recordings in all` }]);
      }
      for (const [k, fileId] of fileIds.entries()) {
        const file = await platform.files.get(fileId, request.appId);
        if (!/^(audio|video)\//.test(file.mimeType)) {
          throw badParams([
            { field: `fileIds[${k}]`, problem: `is ${file.mimeType}, not a recording` },
          ]);
        }
      }
      const task = await platform.queue.submit(
        'voice.build',
        request.appId,
        {
          name,
          language,
          samples: [...fileIds.map((fileId) => ({ fileId })), ...audioUrls.map((url) => ({ url }))],
        },
        {
          callbackUrl: request.body.callbackUrl ?? null,
          userData: request.body.userData ?? null,
        },
      );
      return ok({ taskId: task.id });
    },
  );
  app.get(
    `${prefix}/voices`,
    { schema: { tags: ['voice'], summary: "The app's personal voices, newest first" } },
    async (request) =>
      ok({
        voices: await Promise.all(
          (await models.list(request.appId)).map(async (model) => ({
            voiceId: model.voiceId,
            name: model.name,
            language: model.language,
            baseVoice: model.baseVoice,
            shape: model.shape,
            url: platform.files.signedUrl(await platform.files.get(model.fileId, request.appId)),
            taskId: model.taskId,
            createdAt: model.createdAt,
          })),
        ),
      }),
  );
}
