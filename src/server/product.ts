import type { Platform } from '../platform.js';
import type { ProductPayloads } from '../tasks/handlers.js';
import { registerAvatarRoutes } from './routes/avatar.routes.js';
import { registerVideoRoutes } from './routes/video.routes.js';
import { registerVoiceModelRoutes } from './routes/voice-model.routes.js';
import type { Server } from './types.js';

/** The product's own routes (beyond the shared ones), registered by `anima serve` and the docs. */
export const productRoutes: ReadonlyArray<
  (app: Server, platform: Platform<ProductPayloads>) => void
> = [registerAvatarRoutes, registerVideoRoutes, registerVoiceModelRoutes];
