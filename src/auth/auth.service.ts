import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import type { Db } from '../storage/database.js';
import { newHexId, newSecretToken, sha256Hex } from '../util/ids.js';
import type { App, AppRepository } from './app.repository.js';
import { parseTimestampMs, verifySign } from './sign.js';
import type { TokenRepository } from './token.repository.js';

export interface TokenGrant {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshTokenExpiresIn: number;
}

export interface NewApp {
  readonly name?: string;
  readonly appId?: string;
  readonly appKey?: string;
  readonly callbackUrl?: string;
}

type AuthConfig = Pick<
  Config,
  'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds' | 'maxAccessTokensPerApp' | 'signWindowSeconds'
>;

/** Apps, the MD5-signed token exchange, refresh, and bearer-token authentication. */
export class AuthService {
  private lastPurgeAt = 0;

  constructor(
    private readonly db: Db,
    private readonly apps: AppRepository,
    private readonly tokens: TokenRepository,
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {}

  createApp(input: NewApp): App {
    const app: App = {
      appId: input.appId ?? newHexId(),
      appKey: input.appKey ?? newHexId(),
      name: input.name ?? 'default',
      callbackUrl: input.callbackUrl ?? null,
      createdAt: this.now(),
      revokedAt: null,
    };
    if (this.apps.find(app.appId)) throw new Error(`an app with id ${app.appId} already exists`);
    this.apps.insert(app);
    return app;
  }

  listApps(): App[] {
    return this.apps.list();
  }

  findApp(appId: string): App | undefined {
    return this.apps.find(appId);
  }

  revokeApp(appId: string): boolean {
    const now = this.now();
    return this.db.transaction(() => {
      const revoked = this.apps.revoke(appId, now);
      if (revoked) this.tokens.revokeAllForApp(appId, now);
      return revoked;
    })();
  }

  /** The sign grant: checks the timestamp window and the MD5 sign in constant time. */
  exchangeSign(appId: string, timestamp: string, sign: string): TokenGrant {
    const now = this.now();
    const at = parseTimestampMs(timestamp);
    const windowMs = this.config.signWindowSeconds * 1000;
    if (at === undefined || Math.abs(now - at) > windowMs) {
      throw new AppError('timestampOutOfWindow', { windowSeconds: this.config.signWindowSeconds });
    }
    const app = this.apps.find(appId);
    // Verify against a throwaway key for unknown apps so timing does not reveal which appIds exist.
    const ok = verifySign(appId, timestamp, app?.appKey ?? 'x'.repeat(32), sign);
    if (!app || !ok) throw new AppError('signInvalid');
    if (app.revokedAt !== null) throw new AppError('appRevoked', { appId });
    return this.issue(appId, now);
  }

  /** The refresh grant: the refresh token is used once and replaced (rotation). */
  refresh(appId: string, refreshToken: string): TokenGrant {
    const now = this.now();
    const hash = sha256Hex(refreshToken);
    const stored = this.tokens.findLive(hash, now);
    if (!stored || stored.kind !== 'refresh' || stored.appId !== appId)
      throw new AppError('unauthorized');
    const app = this.apps.find(appId);
    if (!app || app.revokedAt !== null) throw new AppError('unauthorized');
    return this.db.transaction(() => {
      this.tokens.revoke(hash, now);
      return this.issue(appId, now);
    })();
  }

  /** The app a live access token belongs to, or undefined. */
  authenticate(accessToken: string): string | undefined {
    const stored = this.tokens.findLive(sha256Hex(accessToken), this.now());
    return stored?.kind === 'access' ? stored.appId : undefined;
  }

  private issue(appId: string, now: number): TokenGrant {
    const accessToken = newSecretToken();
    const refreshToken = newSecretToken();
    const { accessTokenTtlSeconds: accessTtl, refreshTokenTtlSeconds: refreshTtl } = this.config;
    this.db.transaction(() => {
      this.tokens.insert(sha256Hex(accessToken), appId, 'access', now, now + accessTtl * 1000);
      this.tokens.insert(sha256Hex(refreshToken), appId, 'refresh', now, now + refreshTtl * 1000);
      this.tokens.retireOldest(appId, 'access', this.config.maxAccessTokensPerApp, now);
      // Dead tokens are purged at most once a minute, not on every exchange.
      if (now - this.lastPurgeAt > 60_000) {
        this.tokens.purge(now);
        this.lastPurgeAt = now;
      }
    })();
    return { accessToken, expiresIn: accessTtl, refreshToken, refreshTokenExpiresIn: refreshTtl };
  }
}
