import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import type { SqlDb } from '../storage/sql.js';
import { newHexId, newSecretToken, sha256Hex } from '../util/ids.js';
import { AppRepository, type App } from './app.repository.js';
import { parseTimestampMs, verifySign } from './sign.js';
import type { TokenSealer } from './token-seal.js';
import { TokenRepository, type TokenKind } from './token.repository.js';

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

/** A token is renewed (a new one minted) once it has less than this share of its lifetime left. */
const renewShare = 1 / 8;

interface Issued {
  readonly token: string;
  readonly expiresIn: number;
}

/**
 * Apps, the MD5-signed token exchange, refresh, and bearer-token authentication.
 *
 * The cap on live credentials never costs a client the token it holds: an app has at most
 * `maxAccessTokensPerApp` tokens of each kind with more than an eighth of their lifetime left, and
 * a sign or refresh at that cap is answered with the newest of them (its remaining lifetime in
 * `expiresIn`) rather than a new one. A token is never retired early by another's request, so
 * clients that sign for every call, several processes sharing one app, and replayed signs all
 * leave every held token working until it expires. Live tokens of a kind stay bounded: at most
 * the cap in their fresh part of life plus the cap in their last eighth.
 */
export class AuthService {
  private lastPurgeAt = 0;
  private readonly apps: AppRepository;
  private readonly tokens: TokenRepository;

  constructor(
    private readonly db: SqlDb,
    private readonly sealer: TokenSealer,
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.apps = new AppRepository(db);
    this.tokens = new TokenRepository(db);
  }

  async createApp(input: NewApp): Promise<App> {
    const app: App = {
      appId: input.appId ?? newHexId(),
      appKey: input.appKey ?? newHexId(),
      name: input.name ?? 'default',
      callbackUrl: input.callbackUrl ?? null,
      createdAt: this.now(),
      revokedAt: null,
    };
    if (await this.apps.find(app.appId))
      throw new Error(`an app with id ${app.appId} already exists`);
    await this.apps.insert(app);
    return app;
  }

  listApps(): Promise<App[]> {
    return this.apps.list();
  }

  findApp(appId: string): Promise<App | undefined> {
    return this.apps.find(appId);
  }

  revokeApp(appId: string): Promise<boolean> {
    const now = this.now();
    return this.db.transaction(async (tx) => {
      const revoked = await new AppRepository(tx).revoke(appId, now);
      if (revoked) await new TokenRepository(tx).revokeAllForApp(appId, now);
      return revoked;
    }, appId);
  }

  /** The sign grant: checks the timestamp window and the MD5 sign in constant time. */
  async exchangeSign(appId: string, timestamp: string, sign: string): Promise<TokenGrant> {
    const now = this.now();
    const at = parseTimestampMs(timestamp);
    const windowMs = this.config.signWindowSeconds * 1000;
    if (at === undefined || Math.abs(now - at) > windowMs) {
      throw new AppError('timestampOutOfWindow', { windowSeconds: this.config.signWindowSeconds });
    }
    const app = await this.apps.find(appId);
    // Verify against a throwaway key for unknown apps so timing does not reveal which appIds exist.
    const ok = verifySign(appId, timestamp, app?.appKey ?? 'x'.repeat(32), sign);
    if (!app || !ok) throw new AppError('signInvalid');
    if (app.revokedAt !== null) throw new AppError('appRevoked', { appId });
    return this.issue(appId, now);
  }

  /**
   * The refresh grant. A refresh token stays valid until it expires (it is not spent on use):
   * several processes of one app may hold the same one.
   */
  async refresh(appId: string, refreshToken: string): Promise<TokenGrant> {
    const now = this.now();
    const stored = await this.tokens.findLive(sha256Hex(refreshToken), now);
    if (!stored || stored.kind !== 'refresh' || stored.appId !== appId)
      throw new AppError('unauthorized');
    const app = await this.apps.find(appId);
    if (!app || app.revokedAt !== null) throw new AppError('unauthorized');
    return this.issue(appId, now);
  }

  /** The app a live access token belongs to, or undefined. */
  async authenticate(accessToken: string): Promise<string | undefined> {
    const stored = await this.tokens.findLive(sha256Hex(accessToken), this.now());
    return stored?.kind === 'access' ? stored.appId : undefined;
  }

  /** Tokens for an app, one exchange at a time per app (on every instance sharing the database). */
  private issue(appId: string, now: number): Promise<TokenGrant> {
    const { accessTokenTtlSeconds: accessTtl, refreshTokenTtlSeconds: refreshTtl } = this.config;
    return this.db.transaction(async (tx) => {
      const tokens = new TokenRepository(tx);
      const access = await this.issueOne(tokens, appId, 'access', accessTtl, now);
      const refresh = await this.issueOne(tokens, appId, 'refresh', refreshTtl, now);
      // Dead tokens are purged at most once a minute, not on every exchange.
      if (now - this.lastPurgeAt > 60_000) {
        await tokens.purge(now);
        this.lastPurgeAt = now;
      }
      return {
        accessToken: access.token,
        expiresIn: access.expiresIn,
        refreshToken: refresh.token,
        refreshTokenExpiresIn: refresh.expiresIn,
      };
    }, appId);
  }

  /** The newest fresh token of a kind when the app is at its cap, else a new one. */
  private async issueOne(
    tokens: TokenRepository,
    appId: string,
    kind: TokenKind,
    ttlSeconds: number,
    now: number,
  ): Promise<Issued> {
    const freshUntil = now + ttlSeconds * 1000 * renewShare;
    const fresh = await tokens.liveUntil(appId, kind, freshUntil);
    if (fresh.length >= this.config.maxAccessTokensPerApp) {
      // One sealed under a server key that is gone still works for its holder, but cannot be
      // handed out again: the next is tried.
      for (const stored of fresh) {
        const token = this.sealer.open(stored.sealed);
        if (token !== undefined)
          return { token, expiresIn: Math.floor((stored.expiresAt - now) / 1000) };
      }
    }
    const token = newSecretToken();
    await tokens.insert({
      hash: sha256Hex(token),
      appId,
      kind,
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
      sealed: this.sealer.seal(token),
    });
    return { token, expiresIn: ttlSeconds };
  }
}
