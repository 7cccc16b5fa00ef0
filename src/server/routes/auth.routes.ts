import { Type } from 'typebox';
import type { AuthService } from '../../auth/auth.service.js';
import { parseBearer } from '../../auth/bearer.js';
import { AppError } from '../../errors/app-error.js';
import { ok } from '../envelope.js';
import type { Server } from '../types.js';

const tokenBody = Type.Object({
  appId: Type.String({ minLength: 1, maxLength: 64 }),
  timestamp: Type.Union([Type.String({ pattern: '^\\d{9,13}$' }), Type.Integer({ minimum: 0 })], {
    description: 'Seconds or milliseconds since 1970, exactly as used in the sign.',
  }),
  sign: Type.String({
    pattern: '^[0-9a-fA-F]{32}$',
    description: 'MD5(appId + timestamp + appKey), lowercase hex.',
  }),
  grantType: Type.Literal('sign'),
});

const refreshBody = Type.Object({
  appId: Type.String({ minLength: 1, maxLength: 64 }),
  grantType: Type.Literal('refreshToken'),
});

export function registerAuthRoutes(app: Server, auth: AuthService): void {
  app.post(
    '/api/uc/v1/access/api/token',
    {
      config: { public: true },
      schema: {
        tags: ['access'],
        summary: 'Exchange an MD5 sign for an access token',
        body: tokenBody,
      },
    },
    async (request) => {
      const { appId, timestamp, sign } = request.body;
      return ok(await auth.exchangeSign(appId, String(timestamp), sign));
    },
  );

  app.post(
    '/api/uc/v1/access/api/token/refresh',
    {
      config: { public: true },
      schema: {
        tags: ['access'],
        summary: 'Exchange a refresh token (Authorization: Bearer <refreshToken>) for new tokens',
        body: refreshBody,
      },
    },
    async (request) => {
      const refreshToken = parseBearer(request.headers.authorization);
      if (!refreshToken) throw new AppError('unauthorized');
      return ok(await auth.refresh(request.body.appId, refreshToken));
    },
  );
}
