import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AuthService } from '../../auth/auth.service.js';
import { parseBearer, tokenFromHandshake } from '../../auth/bearer.js';
import { AppError, isAppError } from '../../errors/app-error.js';
import { renderLivePage } from '../../live/live-page.js';
import type { Access, LiveService } from '../../live/live.service.js';
import { hlsCacheControl, hlsFileKind, withToken } from '../../live/hls-serve.js';
import type { PushRequest } from '../../live/running-live.js';
import { errorBody, ok } from '../envelope.js';
import type { Server } from '../types.js';

const v1 = '/api/2dvh/v1/material/live/channel';
const v2 = '/api/2dvh/v2/material/live/channel';
const hlsScript = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

/** What the live routes use. */
export interface LivePlatform {
  readonly auth: AuthService;
  readonly services: { readonly live: LiveService };
}

/**
 * Who asks, on the routes a viewer uses too: an app token of the owner, or the session's own token
 * (Bearer header, or `?token=` for players that cannot set headers).
 */
async function accessOf(auth: AuthService, request: FastifyRequest): Promise<Access> {
  const isSocket = request.headers.upgrade?.toLowerCase() === 'websocket';
  const query = request.query as { token?: string };
  const token = isSocket
    ? (tokenFromHandshake(request.headers, request.url) ?? query.token)
    : (parseBearer(request.headers.authorization) ?? query.token);
  if (!token) throw new AppError('unauthorized');
  const appId = await auth.authenticate(token);
  return appId ? { appId } : { token };
}

const pushBody = Type.Object({
  sessionId: Type.String({ maxLength: 64 }),
  text: Type.Optional(Type.String({ maxLength: 20000 })),
  ssml: Type.Optional(Type.Boolean()),
  audioUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  fileId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
  interrupt: Type.Optional(Type.Boolean()),
  tts_config: Type.Optional(
    Type.Object(
      {
        id: Type.Optional(Type.String({ maxLength: 100 })),
        language: Type.Optional(Type.String({ maxLength: 20 })),
        speed_ratio: Type.Optional(Type.Number()),
      },
      { additionalProperties: false },
    ),
  ),
});

type PushBody = {
  text?: string;
  ssml?: boolean;
  audioUrl?: string;
  fileId?: string;
  interrupt?: boolean;
  tts_config?: { id?: string; language?: string; speed_ratio?: number };
};

/** A push as the session takes it: text or a recording (a URL or an uploaded file), or neither (stop). */
function pushRequest(body: PushBody): PushRequest {
  if (body.text !== undefined && (body.audioUrl || body.fileId)) {
    throw new AppError(
      'badParams',
      {},
      {
        detail: [
          { field: 'text', problem: 'give text or a recording (audioUrl or fileId), not both' },
        ],
      },
    );
  }
  const config = body.tts_config ?? {};
  return {
    interrupt: body.interrupt ?? false,
    ...(body.text !== undefined ? { text: body.text, ssml: body.ssml ?? false } : {}),
    ...(body.fileId ? { audio: { fileId: body.fileId } } : {}),
    ...(body.audioUrl ? { audio: { url: body.audioUrl } } : {}),
    ...(config.id ? { voice: config.id } : {}),
    ...(config.language ? { language: config.language } : {}),
    ...(config.speed_ratio !== undefined ? { speedRatio: config.speed_ratio } : {}),
  };
}

/** The live channel: the hosted routes, ours (query, push, socket), and the viewer's (page, WHEP, HLS). */
export function registerLiveRoutes(app: Server, platform: LivePlatform): void {
  const { live } = platform.services;
  const access = (request: FastifyRequest) => accessOf(platform.auth, request);
  const tags = ['live'];
  const viewer = { config: { public: true } };
  app.addContentTypeParser('application/sdp', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    `${v2}/create`,
    {
      schema: {
        tags,
        summary:
          'Start a live session presenting a script of scenes; answers its sessionId and where to watch it',
        body: Type.Object({
          param: Type.Unknown({
            description:
              'The live script, an object or a JSON string of one: {version, recycle, stream_mode, sceneList: [{digital_role, tts_config, tts_query, audios, backgrounds, foregrounds, effects}]}',
          }),
          userData: Type.Optional(Type.String({ maxLength: 4096 })),
          callbackUrl: Type.Optional(Type.String({ maxLength: 4096 })),
          pushUrl: Type.Optional(
            Type.String({
              maxLength: 2048,
              description: 'An RTMP ingest to push the stream to (ours)',
            }),
          ),
        }),
      },
    },
    async (request) => {
      const { param, userData, callbackUrl, pushUrl } = request.body;
      const created = await live.create({
        appId: request.appId,
        param,
        ...(userData !== undefined ? { userData } : {}),
        ...(callbackUrl ? { callbackUrl } : {}),
        ...(pushUrl !== undefined ? { pushUrl } : {}),
      });
      for (const warning of created.warnings) request.log.warn({ appId: request.appId }, warning);
      return ok(created);
    },
  );
  app.post(
    `${v1}/close`,
    {
      schema: {
        tags,
        summary: 'End a live session',
        body: Type.Object({ sessionId: Type.String({ maxLength: 64 }) }),
      },
    },
    async (request) => {
      await live.close(request.appId, request.body.sessionId);
      return ok(true);
    },
  );
  app.get(
    `${v1}/running/list`,
    { schema: { tags, summary: "The app's running live sessions" } },
    async (request) => ok(await live.running(request.appId)),
  );
  app.get(
    `${v1}/query`,
    {
      ...viewer,
      schema: {
        tags,
        summary:
          'A live session: status, scene, uptime, frames sent / late / repeated, viewers, outputs (app or session token)',
        querystring: Type.Object({
          sessionId: Type.String({ maxLength: 64 }),
          token: Type.Optional(Type.String()),
        }),
      },
    },
    async (request) => ok(await live.query(request.query.sessionId, await access(request))),
  );
  app.post(
    `${v1}/push`,
    {
      ...viewer,
      schema: {
        tags,
        summary:
          'Make a running session say text or a recording, after what it says or (interrupt) at once; no text and interrupt: just stop',
        body: pushBody,
      },
    },
    async (request) =>
      ok(await live.push(request.body.sessionId, await access(request), pushRequest(request.body))),
  );
  registerSessionSocket(app, live, access);
  registerViewerRoutes(app, live, access);
}

/** A socket message's failure as an error answer: ours as it is, anything else as internal. */
function socketError(error: unknown) {
  if (isAppError(error)) return errorBody(error);
  if (error instanceof SyntaxError) {
    return errorBody(
      new AppError('badParams', {}, { detail: [{ field: 'message', problem: 'is not JSON' }] }),
    );
  }
  return errorBody(new AppError('internal'));
}

/** The session socket: status as it changes, and pushes as messages ({text, interrupt}). */
function registerSessionSocket(
  app: Server,
  live: LiveService,
  access: (request: FastifyRequest) => Promise<Access>,
): void {
  app.get(
    `${v1}/socket`,
    {
      websocket: true,
      config: { public: true },
      schema: {
        tags: ['live'],
        summary:
          'A running session over a WebSocket: status messages, and pushes as {text, interrupt} (token as on the voice socket)',
        querystring: Type.Object({ sessionId: Type.String({ maxLength: 64 }) }),
      },
    },
    async (socket, request) => {
      const sessionId = request.query.sessionId;
      const send = (message: object) => socket.send(JSON.stringify(message));
      // Pushes are taken in the order they arrive, each once the one before it is answered.
      let taken: Promise<void> = Promise.resolve();
      const take = (data: Buffer) => {
        taken = taken.then(async () => {
          try {
            const message = JSON.parse(data.toString('utf8')) as PushBody & { id?: string };
            const answer = await live.push(sessionId, who, pushRequest(message));
            send({ type: 'push', status: 'ok', id: message.id ?? null, ...answer });
          } catch (error) {
            send({ type: 'push', ...socketError(error) });
          }
        });
      };
      // Messages sent while the token is checked wait for it.
      const early: Buffer[] = [];
      const hold = (data: Buffer) => early.push(data);
      socket.on('message', hold);
      let who: Access;
      try {
        who = await access(request);
        send({ type: 'status', status: 'ok', data: await live.query(sessionId, who) });
      } catch (error) {
        const answer = socketError(error);
        send({ type: 'error', ...answer });
        socket.close(
          4000 + (isAppError(error) ? error.entry.http % 1000 : 500),
          answer.message.slice(0, 100),
        );
        return;
      }
      let last = '';
      const watch = setInterval(() => {
        live.query(sessionId, who).then(
          (data) => {
            const text = JSON.stringify([data.status, data.scene, data.speaking]);
            if (text !== last) send({ type: 'status', status: 'ok', data });
            last = text;
          },
          () => clearInterval(watch),
        );
      }, 500);
      socket.off('message', hold);
      socket.on('message', take);
      for (const data of early.splice(0)) take(data);
      socket.on('close', () => clearInterval(watch));
      socket.on('error', () => socket.terminate());
    },
  );
}

/** What a viewer opens: the page, WebRTC by WHEP, the HLS playlist and segments, hls.js. */
function registerViewerRoutes(
  app: Server,
  live: LiveService,
  access: (request: FastifyRequest) => Promise<Access>,
): void {
  const viewer = { config: { public: true }, schema: { tags: ['live'] } };
  app.get('/live/assets/hls.min.js', { ...viewer, schema: { hide: true } }, (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(fs.createReadStream(hlsScript)),
  );
  app.get<{ Params: { sessionId: string }; Querystring: { token?: string } }>(
    '/live/:sessionId',
    {
      ...viewer,
      schema: {
        tags: ['live'],
        summary:
          'The page that plays a session (WebRTC, else HLS) and pushes text: ?token=<sessionToken>',
      },
    },
    async (request, reply) => {
      const who = await access(request);
      await live.authorize(request.params.sessionId, who);
      return reply
        .type('text/html; charset=utf-8')
        .header(
          'content-security-policy',
          "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; media-src 'self' blob:; connect-src 'self'",
        )
        .send(
          renderLivePage({ sessionId: request.params.sessionId, token: request.query.token ?? '' }),
        );
    },
  );
  app.post<{ Params: { sessionId: string } }>(
    '/live/:sessionId/whep',
    {
      ...viewer,
      schema: {
        tags: ['live'],
        summary:
          'WHEP: POST an SDP offer (application/sdp), get the answer; DELETE its Location to stop',
      },
    },
    async (request, reply) => {
      if (typeof request.body !== 'string') {
        throw new AppError(
          'badParams',
          {},
          { detail: [{ field: 'body', problem: 'send the SDP offer as application/sdp' }] },
        );
      }
      const { id, answerSdp } = await live.addViewer(
        request.params.sessionId,
        await access(request),
        request.body,
      );
      return reply
        .code(201)
        .type('application/sdp')
        .header('location', `/live/${request.params.sessionId}/whep/${id}`)
        .send(answerSdp);
    },
  );
  app.delete<{ Params: { sessionId: string; viewerId: string } }>(
    '/live/:sessionId/whep/:viewerId',
    { ...viewer, schema: { hide: true } },
    async (request, reply) => {
      const removed = await live.removeViewer(
        request.params.sessionId,
        await access(request),
        request.params.viewerId,
      );
      return reply.code(removed ? 204 : 404).send();
    },
  );
  app.get<{ Params: { sessionId: string; name: string }; Querystring: { token?: string } }>(
    '/live/:sessionId/hls/:name',
    { ...viewer, schema: { hide: true } },
    async (request, reply) => {
      const { sessionId, name } = request.params;
      const found = await live.hlsFile(sessionId, await access(request), name);
      if (!found)
        throw new AppError('routeNotFound', {
          method: 'GET',
          url: `/live/${sessionId}/hls/${name}`,
        });
      // Served at all only when hls-serve names it a kind: playlist, init or segment.
      const kind = hlsFileKind(name) ?? 'segment';
      reply.header('cache-control', hlsCacheControl(kind)).type(found.type);
      return kind === 'playlist'
        ? reply.send(withToken(found.data.toString('utf8'), request.query.token ?? ''))
        : reply.send(found.data);
    },
  );
}
