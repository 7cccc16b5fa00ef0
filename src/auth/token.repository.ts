import { statement, type Db } from '../storage/database.js';

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
  constructor(private readonly db: Db) {}

  insert(token: NewToken): void {
    statement(
      this.db,
      `INSERT INTO tokens (token_hash, app_id, kind, created_at, expires_at, sealed)
         VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(token.hash, token.appId, token.kind, token.createdAt, token.expiresAt, token.sealed);
  }

  /** A live token: known, not revoked, not expired. */
  findLive(hash: string, now: number): StoredToken | undefined {
    const row = statement(
      this.db,
      `SELECT app_id, kind, expires_at FROM tokens
         WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?`,
    ).get(hash, now) as { app_id: string; kind: TokenKind; expires_at: number } | undefined;
    return row && { appId: row.app_id, kind: row.kind, expiresAt: row.expires_at };
  }

  /**
   * An app's live tokens of a kind that stay valid past `validAfter`, newest first, with their
   * sealed form (tokens issued before tokens were sealed are left out: they cannot be handed out).
   */
  liveUntil(appId: string, kind: TokenKind, validAfter: number): SealedToken[] {
    const rows = statement(
      this.db,
      `SELECT sealed, expires_at FROM tokens
         WHERE app_id = ? AND kind = ? AND revoked_at IS NULL AND expires_at > ?
           AND sealed IS NOT NULL
         ORDER BY created_at DESC, rowid DESC`,
    ).all(appId, kind, validAfter) as { sealed: string; expires_at: number }[];
    return rows.map((row) => ({ sealed: row.sealed, expiresAt: row.expires_at }));
  }

  revokeAllForApp(appId: string, now: number): void {
    statement(
      this.db,
      'UPDATE tokens SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL',
    ).run(now, appId);
  }

  /** Drops tokens that expired or were revoked more than a day ago. */
  purge(now: number): void {
    const dayAgo = now - 24 * 3600 * 1000;
    statement(this.db, 'DELETE FROM tokens WHERE expires_at < ? OR revoked_at < ?').run(
      dayAgo,
      dayAgo,
    );
  }
}
