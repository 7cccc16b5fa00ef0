/**
 * The product: each task type named once, in its area, with its handler and the area's routes.
 * The payload map, the handler map and the task areas are derived from this one declaration, so
 * a type without a handler, an area or a payload does not compile.
 */
import { avatarBuildHandler } from '../avatar/avatar.handler.js';
import { AvatarRepository } from '../avatar/avatar.repository.js';
import { ModelStore } from '../avatar/model-store.js';
import type { Config } from '../config/config.js';
import { WarmFaces } from '../engines/face/warm-faces.js';
import type { FileService } from '../files/file.service.js';
import type { Platform, PlatformCore, TaskWiring } from '../platform.js';
import { areasOf, handlersOf, type PayloadsOf } from '../tasks/task.contract.js';
import { videoPhotoHandler, videoRenderHandler } from '../video/video.handler.js';
import type { SpeechServices } from '../voice/speech.js';
import { voiceBuildHandler } from '../voice/voice-model.handler.js';
import type { VoiceModelRepository } from '../voice/voice-model.repository.js';
import { LiveRepository } from '../live/live.repository.js';
import { liveOutputs } from '../live/live-outputs.js';
import { LiveService } from '../live/live.service.js';
import { registerAvatarRoutes } from './routes/avatar.routes.js';
import { registerLiveRoutes } from './routes/live.routes.js';
import { registerVideoRoutes } from './routes/video.routes.js';
import { registerVoiceModelRoutes } from './routes/voice-model.routes.js';
import type { ServerOptions } from './app.js';

/** What the product's handlers and routes use, built once at start-up. */
export interface ProductServices {
  readonly config: Config;
  readonly files: FileService;
  readonly speech: SpeechServices;
  readonly avatars: AvatarRepository;
  readonly voiceModels: VoiceModelRepository;
  readonly models: ModelStore;
  /** Face workers with their models loaded, kept warm between avatar builds. */
  readonly faces: WarmFaces;
  /** Live sessions: not tasks (a stream lives in the process running it), served by their own routes. */
  readonly live: LiveService;
}

/** The shape of docs/contract.md's routes: one prefix per area, its task types under it. */
export const product = {
  video: {
    prefix: '/api/2dvh/v1/material/video',
    tag: 'video',
    tasks: { 'video.render': videoRenderHandler, 'video.photo': videoPhotoHandler },
    routes: registerVideoRoutes,
  },
  avatar: {
    prefix: '/api/2dvh/v1/material/avatar',
    tag: 'avatar',
    tasks: { 'avatar.build': avatarBuildHandler },
    routes: registerAvatarRoutes,
  },
  voice: {
    prefix: '/api/voice/v1/model',
    tag: 'voice',
    tasks: { 'voice.build': voiceBuildHandler },
    routes: registerVoiceModelRoutes,
  },
} as const;
// Checked where it is used (not here, as the routes' platform is typed by what it derives):
// handlersOf checks each handler against ProductServices, productServer each area's routes.

/** Task payloads by task type, as the handlers declare them. */
export type ProductPayloads = PayloadsOf<typeof product>;

export type ProductPlatform = Platform<ProductPayloads, ProductServices>;

/** The product's task areas: the shared task routes (query, list, cancel, delete) of each. */
export const productAreas = areasOf(product);

/** The product's services and handlers, built once the platform's core is open. */
export function wireProduct(core: PlatformCore): TaskWiring<ProductPayloads, ProductServices> {
  const avatars = new AvatarRepository(core.sql);
  const faces = new WarmFaces(core.config.faceWorkers);
  const models = new ModelStore(avatars, core.files);
  const live = new LiveService({
    config: core.config,
    tts: core.speech.tts,
    files: core.files,
    models,
    repository: new LiveRepository(core.sql, core.instanceId),
    callbacks: core.callbacks,
    checkUrl: core.checkUrl,
    publicUrl: core.publicUrl,
    outputs: liveOutputs(core.config),
    hostsSessions: core.config.role !== 'api',
    ...(core.bus ? { bus: core.bus } : {}),
    ...(core.log ? { log: core.log } : {}),
  });
  const services: ProductServices = {
    config: core.config,
    files: core.files,
    speech: core.speech,
    avatars,
    voiceModels: core.voiceModels,
    models,
    faces,
    live,
  };
  return {
    services,
    handlers: handlersOf(product, services),
    recover: () => live.recover(),
    start: () => live.watchInstances(core.config.liveOrphanSeconds * 1000),
    close: async () => {
      await live.closeAll();
      await faces.close();
    },
  };
}

/** What `anima serve`, the docs and the tests serve: every area's task routes and own routes. */
export const productServer: ServerOptions<ProductPayloads, ProductServices> = {
  areas: productAreas,
  routes: [...Object.values(product).map((area) => area.routes), registerLiveRoutes],
};
