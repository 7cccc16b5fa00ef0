import { FacePool } from '../engines/face/face-pool.js';
import type { MediaRef } from '../files/file.service.js';
import { probeMedia } from '../media/probe.js';
import type { TaskServices } from '../platform.js';
import type { TaskHandler } from '../tasks/task.queue.js';
import { newHexId } from '../util/ids.js';
import { AvatarRepository } from './avatar.repository.js';
import { buildVideoModel } from './model-builder.js';
import { buildPhotoModel } from './photo-model.js';
import { checkImageSource, checkVideoSource, isStillImage } from './source-check.js';

export interface AvatarBuildPayload {
  readonly name: string;
  readonly source: MediaRef;
}

/** A new model's id, in the hosted service's shape: 32 hex digits and "_s1". */
export function newFaceFeatureId(): string {
  return `${newHexId()}_s1`;
}

/**
 * The avatar.build task: fetch or find the clip or photo, probe and check it, build the model,
 * store the zip as a downloadable result and register it for the app.
 */
export function avatarBuildHandler(services: TaskServices): TaskHandler<AvatarBuildPayload> {
  const models = new AvatarRepository(services.db);
  return async ({ task, params, signal, workDir, progress }) => {
    progress('probe', 0);
    const stored = await services.files.resolve(params.source, task.appId, signal, [
      'video',
      'image',
    ]);
    const file = services.files.pathOf(stored.id);
    const info = await probeMedia(file, signal);
    const faceFeatureId = newFaceFeatureId();
    const names = { modelId: faceFeatureId, fileName: stored.name };
    const kind = isStillImage(info) ? 'image' : 'video';
    const video = kind === 'image' ? checkImageSource(info, names) : checkVideoSource(info, names);
    progress('probe', 3);
    // A photo is looked at once: one face worker is enough.
    const engine = new FacePool(kind === 'image' ? 1 : services.config.faceWorkers);
    let built;
    try {
      const input = {
        file,
        info: { ...info, video },
        names,
        name: params.name,
        engine,
        asr: services.speech.asr,
        workDir,
        signal,
        progress,
      };
      built = await (kind === 'image' ? buildPhotoModel(input) : buildVideoModel(input));
    } finally {
      await engine.close();
    }
    const zip = await services.files.saveResult(
      built.zipPath,
      `${params.name}.zip`,
      task.appId,
      'application/zip',
    );
    models.register({
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
