import type { SqlDb } from '../storage/sql.js';

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
  constructor(private readonly db: SqlDb) {}

  async insert(app: App): Promise<void> {
    await this.db.run(
      'INSERT INTO apps (app_id, app_key, name, callback_url, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)',
      [app.appId, app.appKey, app.name, app.callbackUrl, app.createdAt, app.revokedAt],
    );
  }

  async find(appId: string): Promise<App | undefined> {
    const row = await this.db.get<AppRow>('SELECT * FROM apps WHERE app_id = ?', [appId]);
    return row && toApp(row);
  }

  async list(): Promise<App[]> {
    return (await this.db.all<AppRow>('SELECT * FROM apps ORDER BY created_at')).map(toApp);
  }

  async revoke(appId: string, at: number): Promise<boolean> {
    const changed = await this.db.run(
      'UPDATE apps SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL',
      [at, appId],
    );
    return changed > 0;
  }
}
