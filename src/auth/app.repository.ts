import { statement, type Db } from '../storage/database.js';

export interface App {
  readonly appId: string;
  readonly appKey: string;
  readonly name: string;
  readonly callbackUrl: string | null;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

interface AppRow {
  app_id: string;
  app_key: string;
  name: string;
  callback_url: string | null;
  created_at: number;
  revoked_at: number | null;
}

function toApp(row: AppRow): App {
  return {
    appId: row.app_id,
    appKey: row.app_key,
    name: row.name,
    callbackUrl: row.callback_url,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export class AppRepository {
  constructor(private readonly db: Db) {}

  insert(app: App): void {
    statement(
      this.db,
      'INSERT INTO apps (app_id, app_key, name, callback_url, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(app.appId, app.appKey, app.name, app.callbackUrl, app.createdAt, app.revokedAt);
  }

  find(appId: string): App | undefined {
    const row = statement(this.db, 'SELECT * FROM apps WHERE app_id = ?').get(appId) as
      AppRow | undefined;
    return row && toApp(row);
  }

  list(): App[] {
    return (statement(this.db, 'SELECT * FROM apps ORDER BY created_at').all() as AppRow[]).map(
      toApp,
    );
  }

  revoke(appId: string, at: number): boolean {
    return (
      statement(
        this.db,
        'UPDATE apps SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL',
      ).run(at, appId).changes > 0
    );
  }
}
