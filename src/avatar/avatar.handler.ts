import type { Config } from '../config/config.js';
import type { WarmFaces } from '../engines/face/warm-faces.js';
import type { FileService, MediaRef } from '../files/file.service.js';
import type { MediaClass } from '../files/sniff.js';
import { AppError } from '../errors/app-error.js';
import { requireFreeSpace } from '../media/disk-space.js';
import { probeOr } from '../media/probe.js';
import { isStillImage } from '../media/still-image.js';
import type { TaskHandler } from '../tasks/task.contract.js';
import { newHexId } from '../util/ids.js';
import type { SpeechServices } from '../voice/speech.js';
import type { AvatarRepository } from './avatar.repository.js';
import { buildVideoModel } from './model-builder.js';
import type { BuiltModel } from './model-writer.js';
import { buildPhotoModel } from './photo-model.js';
import { checkImageSource, checkVideoSource } from './source-check.js';

/** What building a model uses: the files, warm face engines, the recogniser for the mouths. */
export interface AvatarBuildDeps {
  readonly config: Config;
  readonly files: FileService;
  readonly speech: SpeechServices;
  readonly faces: WarmFaces;
}

export interface AvatarBuildPayload {
  readonly name: string;
  readonly source: MediaRef;
}

/** A new model's id, in the hosted service's shape: 32 hex digits and "_s1". */
export function newFaceFeatureId(): string {
  return `${newHexId()}_s1`;
}

/**
 * Disk an avatar build fills, at most: the base video, landmarks, mouths and the zip, then the zip
 * again as a stored result; a generous multiple of the source, and room for a photo's frames.
 */
export function buildSpaceNeeded(sourceBytes: number): number {
  return 64 * 1024 * 1024 + 3 * sourceBytes;
}

/**
 * Fetches or finds a clip or photo, probes and checks it, and builds its model zip in `workDir`:
 * the one path from a source to a model, for avatar.build and for a photo's video.
 */
export async function buildAvatarModel(
  services: AvatarBuildDeps,
  request: {
    readonly source: MediaRef;
    readonly appId: string;
    readonly name: string;
    readonly accept: readonly MediaClass[];
  },
  run: {
    readonly workDir: string;
    readonly signal: AbortSignal;
    readonly progress: (stage: string, percent: number) => void;
  },
): Promise<{ built: BuiltModel; faceFeatureId: string; kind: 'image' | 'video' }> {
  const { signal, progress } = run;
  progress('probe', 0);
  const stored = await services.files.resolve(
    request.source,
    request.appId,
    signal,
    request.accept,
  );
  const file = await services.files.localPath(stored.id);
  const faceFeatureId = newFaceFeatureId();
  const names = { modelId: faceFeatureId, fileName: stored.name };
  const info = await probeOr(
    file,
    (reason) => new AppError('avatarSourceInvalid', { fileName: stored.name, reason }),
    signal,
  );
  await requireFreeSpace(services.config, buildSpaceNeeded(stored.size));
  const kind = isStillImage(info) ? 'image' : 'video';
  const video =
    kind === 'image'
      ? checkImageSource(info, names)
      : checkVideoSource(info, names, services.config.avatarMaxSeconds);
  progress('probe', 3);
  return services.faces.use(async (engine) => {
    const input = {
      file,
      info: { ...info, video },
      names,
      name: request.name,
      engine,
      asr: services.speech.asr,
      workDir: run.workDir,
      signal,
      progress,
    };
    const built = await (kind === 'image' ? buildPhotoModel(input) : buildVideoModel(input));
    return { built, faceFeatureId, kind };
  });
}

/**
 * The avatar.build task: build the model from the clip or photo, store the zip as a downloadable
 * result and register it for the app.
 */
export function avatarBuildHandler(
  services: AvatarBuildDeps & { readonly avatars: AvatarRepository },
): TaskHandler<AvatarBuildPayload> {
  const models = services.avatars;
  return async ({ task, params, signal, workDir, progress }) => {
    const { built, faceFeatureId, kind } = await buildAvatarModel(
      services,
      { source: params.source, appId: task.appId, name: params.name, accept: ['video', 'image'] },
      { workDir, signal, progress },
    );
    const zip = await services.files.saveResult(
      built.zipPath,
      `${params.name}.zip`,
      task.appId,
      'application/zip',
      true,
    );
    await models.register({
      faceFeatureId,
      appId: task.appId,
      name: params.name,
      fileId: zip.id,
      taskId: task.id,
      kind,
      createdAt: Date.now(),
    });
    progress('packaging', 100);
    const base = built.manifest.base as { frames: number };
    return {
      face_feature_id: faceFeatureId,
      url: services.files.signedUrl(zip),
      fileId: zip.id,
      name: params.name,
      size: zip.size,
      frames: (built.manifest.source as { frames: number }).frames,
      baseFrames: base.frames,
    };
  };
}
