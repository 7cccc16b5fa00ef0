import { statement, type Db } from '../storage/database.js';

export type TokenKind = 'access' | 'refresh';

export interface StoredToken {
  readonly appId: string;
  readonly kind: TokenKind;
  readonly expiresAt: number;
}

/** Tokens are stored only as SHA-256 hashes: a copy of the database grants no access. */
export class TokenRepository {
  constructor(private readonly db: Db) {}

  insert(hash: string, appId: string, kind: TokenKind, createdAt: number, expiresAt: number): void {
    statement(
      this.db,
      'INSERT INTO tokens (token_hash, app_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    ).run(hash, appId, kind, createdAt, expiresAt);
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

  /** Keeps only the newest `keep` live tokens of a kind for an app, revoking the older ones. */
  retireOldest(appId: string, kind: TokenKind, keep: number, now: number): void {
    statement(
      this.db,
      `UPDATE tokens SET revoked_at = ? WHERE token_hash IN (
           SELECT token_hash FROM tokens
           WHERE app_id = ? AND kind = ? AND revoked_at IS NULL AND expires_at > ?
           ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)`,
    ).run(now, appId, kind, now, keep);
  }

  revoke(hash: string, now: number): void {
    statement(this.db, 'UPDATE tokens SET revoked_at = ? WHERE token_hash = ?').run(now, hash);
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
