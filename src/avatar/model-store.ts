import { AppError } from '../errors/app-error.js';
import type { FileService } from '../files/file.service.js';
import type { AvatarRepository } from './avatar.repository.js';
import { readPackage, type ModelPackage } from './model-package.js';

/** How a request names an avatar model: the hosted service's digital_role {url, face_feature_id}. */
export interface ModelRef {
  readonly url?: string | undefined;
  readonly fileId?: string | undefined;
  readonly faceFeatureId?: string | undefined;
}

/**
 * Finds and opens the avatar model a video or live request names, checked: a zip with assets/ and
 * models/ (else the FAQ's 6001), and, when both a model and a face_feature_id are given, a model
 * that is that face_feature_id's (else the FAQ's 6002, naming the task).
 */
export class ModelStore {
  constructor(
    private readonly models: AvatarRepository,
    private readonly files: FileService,
  ) {}

  async open(
    ref: ModelRef,
    appId: string,
    taskId: string,
    signal?: AbortSignal,
  ): Promise<ModelPackage> {
    let fileId = ref.fileId;
    if (!fileId && !ref.url && ref.faceFeatureId) {
      // Only the id: one of this app's registered models.
      fileId = (await this.models.find(ref.faceFeatureId, appId))?.fileId;
      if (!fileId) throw new AppError('avatarModelMismatch', { taskId });
    }
    if (!fileId && !ref.url) throw new AppError('avatarModelInvalid');
    const stored = await this.files.resolve({ fileId, url: ref.url }, appId, signal);
    const model = await readPackage(await this.files.localPath(stored.id));
    if (ref.faceFeatureId && model.manifest.face_feature_id !== ref.faceFeatureId) {
      throw new AppError('avatarModelMismatch', { taskId });
    }
    return model;
  }
}
