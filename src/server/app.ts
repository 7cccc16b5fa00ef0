import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import { Redis } from 'ioredis';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { AuthService } from '../auth/auth.service.js';
import { parseBearer, tokenFromHandshake } from '../auth/bearer.js';
import type { Config } from '../config/config.js';
import { AppError, badParams } from '../errors/app-error.js';
import type { Platform } from '../platform.js';
import { findIllFormed, notWellFormed } from '../util/well-formed.js';
import { errorBody, toAppError } from './envelope.js';
import { lingerOnUnreadBody } from './linger.js';
import { registerAuthRoutes } from './routes/auth.routes.js';
import { registerFileRoutes } from './routes/file.routes.js';
import type { TaskArea } from '../tasks/task.contract.js';
import { registerTaskRoutes } from './routes/task.routes.js';
import { handleSocketError, registerVoiceRoutes } from './routes/voice.routes.js';
import type { Server } from './types.js';

export interface ServerOptions<P extends Record<string, object>, S = unknown> {
  /** Task areas, each served the shared task routes (the product's, see product.ts; tests'). */
  readonly areas?: readonly TaskArea[];
  /** Feature routes, registered after the shared plugins. */
  readonly routes?: ReadonlyArray<(app: Server, platform: Platform<P, S>) => void>;
  /** The process logger; none (silent) when absent, as in tests through inject(). */
  readonly logger?: FastifyBaseLogger;
}

/**
 * A path that is not valid percent-encoded UTF-8 never reaches a route (nor the error handler):
 * answer it in our envelope rather than Fastify's.
 */
function answerBadUrl(_error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const error = badParams([{ field: 'url', problem: 'is not valid percent-encoded UTF-8' }]);
  void reply.code(error.entry.http).send(errorBody(error));
}

export async function buildServer<P extends Record<string, object>, S>(
  platform: Platform<P, S>,
  options: ServerOptions<P, S> = {},
): Promise<Server> {
  const { config, auth } = platform;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: config.bodyLimitBytes,
    ajv: { customOptions: { allErrors: true, coerceTypes: true, removeAdditional: false } },
    frameworkErrors: answerBadUrl,
    logController: new LogController({
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorateRequest('appId', '');
  setErrorAnswers(app, config);
  await registerPlugins(app, config);
  addDoorHooks(app, auth);
  registerRoutes(app, platform, options);
  return app;
}

/** Every error in the envelope; a 401 with an empty body; routes that do not exist as 1404. */
function setErrorAnswers(app: Server, config: Config): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, config);
    if (appError.key === 'unauthorized') return reply.code(401).send('');
    if (appError.entry.http >= 500) request.log.error({ err: error }, 'request failed');
    // An upload refused part-way still has its body in flight: it is read and dropped after the
    // answer, so the answer reaches the client and no client stalls on a socket nobody reads.
    if (request.isMultipart()) lingerOnUnreadBody(request.raw);
    return reply.code(appError.entry.http).send(errorBody(appError));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new AppError('routeNotFound', {
      method: request.method,
      url: request.url.split('?')[0],
    });
    return reply.code(404).send(errorBody(error));
  });
}

/** The API reference (public, like the hosted service's docs), rate limit, uploads, sockets. */
async function registerPlugins(app: Server, config: Config): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), public: true };
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Anima API',
        version: '0.1.0',
        description:
          'Self-hosted digital humans. Every JSON answer is {code, message, data}; code 0 is success. ' +
          'Authenticate with Authorization: Bearer <accessToken> from POST /api/uc/v1/access/api/token.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list' },
  });
  // With Redis the count is one for every instance sharing it; if Redis stops answering, requests
  // are let through rather than refused.
  const shared =
    config.redisUrl === ''
      ? undefined
      : new Redis(config.redisUrl, {
          connectTimeout: 1000,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
        });
  if (shared) {
    shared.on('error', () => undefined);
    app.addHook('onClose', () => {
      shared.disconnect();
    });
  }
  await app.register(fastifyRateLimit, {
    hook: 'preHandler',
    ...(shared
      ? { redis: shared, nameSpace: `${config.redisPrefix}:rate:`, skipOnError: true }
      : {}),
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => (request.appId ? `app:${request.appId}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => {
      return new AppError('rateLimited', { max: context.max, window: 'minute' });
    },
  });
  await app.register(fastifyMultipart, {
    limits: { fileSize: config.uploadLimitBytes + 1, files: 1, fields: 10, parts: 20 },
  });
  await app.register(fastifyWebsocket, {
    options: { maxPayload: 4 * 1024 * 1024 },
    errorHandler: handleSocketError,
  });
}

/** What every request passes before its route: a live token (unless public), well-formed text. */
function addDoorHooks(app: Server, auth: AuthService): void {
  // This hook comes after the WebSocket plugin's own, so a refused upgrade is answered and its
  // socket closed by the plugin.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public || request.is404) return;
    // Sockets may carry the token in the URL too (the header wins): tokenFromHandshake.
    const isSocket = request.headers.upgrade?.toLowerCase() === 'websocket';
    const token = isSocket
      ? tokenFromHandshake(request.headers, request.url)
      : parseBearer(request.headers.authorization);
    const appId = await auth.authenticate(token ?? '');
    if (!appId) throw new AppError('unauthorized');
    request.appId = appId;
  });
  // Text that is not well-formed Unicode is refused before any route sees it, naming the field.
  app.addHook('preValidation', (request, _reply, done) => {
    const field =
      findIllFormed(request.params) ?? findIllFormed(request.query) ?? findIllFormed(request.body);
    if (field === undefined) return done();
    done(badParams([{ field, problem: notWellFormed }]));
  });
}

function registerRoutes<P extends Record<string, object>, S>(
  app: Server,
  platform: Platform<P, S>,
  options: ServerOptions<P, S>,
): void {
  registerAuthRoutes(app, platform.auth);
  registerFileRoutes(app, platform.files, platform.config);
  registerVoiceRoutes(app, platform.speech, platform.config);
  for (const area of options.areas ?? []) {
    registerTaskRoutes(app, platform.store, platform.queue, area);
  }
  for (const register of options.routes ?? []) register(app, platform);
  // Health checks are polled by load balancers and orchestrators: they must not use up (or be
  // refused by) the per-address budget that guards the token route.
  app.get(
    '/healthz',
    { config: { public: true, rateLimit: false }, schema: { hide: true } },
    () => ({
      code: 0,
      message: 'success',
      data: 'ok',
    }),
  );
}
