import type { SqlDb } from '../storage/sql.js';

export type TokenKind = 'access' | 'refresh';

export interface NewToken {
  readonly hash: string;
  readonly appId: string;
  readonly kind: TokenKind;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly sealed: string;
}

export interface SealedToken {
  readonly sealed: string;
  readonly expiresAt: number;
}

export interface StoredToken {
  readonly appId: string;
  readonly kind: TokenKind;
  readonly expiresAt: number;
}

/** Tokens are stored only as SHA-256 hashes: a copy of the database grants no access. */
export class TokenRepository {
  constructor(private readonly db: SqlDb) {}

  async insert(token: NewToken): Promise<void> {
    await this.db.run(
      `INSERT INTO tokens (token_hash, app_id, kind, created_at, expires_at, sealed)
         VALUES (?, ?, ?, ?, ?, ?)`,
      [token.hash, token.appId, token.kind, token.createdAt, token.expiresAt, token.sealed],
    );
  }

  /** A live token: known, not revoked, not expired. */
  async findLive(hash: string, now: number): Promise<StoredToken | undefined> {
    const row = await this.db.get<{ app_id: string; kind: TokenKind; expires_at: number }>(
      `SELECT app_id, kind, expires_at FROM tokens
         WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?`,
      [hash, now],
    );
    return row && { appId: row.app_id, kind: row.kind, expiresAt: row.expires_at };
  }

  /**
   * An app's live tokens of a kind that stay valid past `validAfter`, newest first, with their
   * sealed form (tokens issued before tokens were sealed are left out: they cannot be handed out).
   */
  async liveUntil(appId: string, kind: TokenKind, validAfter: number): Promise<SealedToken[]> {
    const rows = await this.db.all<{ sealed: string; expires_at: number }>(
      `SELECT sealed, expires_at FROM tokens
         WHERE app_id = ? AND kind = ? AND revoked_at IS NULL AND expires_at > ?
           AND sealed IS NOT NULL
         ORDER BY created_at DESC, ${this.db.insertOrder} DESC`,
      [appId, kind, validAfter],
    );
    return rows.map((row) => ({ sealed: row.sealed, expiresAt: row.expires_at }));
  }

  async revokeAllForApp(appId: string, now: number): Promise<void> {
    await this.db.run('UPDATE tokens SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL', [
      now,
      appId,
    ]);
  }

  /** Drops tokens that expired or were revoked more than a day ago. */
  async purge(now: number): Promise<void> {
    const dayAgo = now - 24 * 3600 * 1000;
    await this.db.run('DELETE FROM tokens WHERE expires_at < ? OR revoked_at < ?', [
      dayAgo,
      dayAgo,
    ]);
  }
}
