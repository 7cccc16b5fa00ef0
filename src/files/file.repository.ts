import type { SqlDb } from '../storage/sql.js';

export type FileOrigin = 'upload' | 'fetch' | 'result';

export interface StoredFile {
  readonly id: string;
  readonly appId: string | null;
  readonly name: string;
  readonly mimeType: string;
  readonly size: number;
  readonly sha256: string;
  readonly origin: FileOrigin;
  readonly createdAt: number;
  readonly expiresAt: number | null;
}

interface FileRow {
  id: string;
  app_id: string | null;
  name: string;
  mime_type: string;
  size: number;
  sha256: string;
  origin: FileOrigin;
  created_at: number;
  expires_at: number | null;
}

function toFile(row: FileRow): StoredFile {
  return {
    id: row.id,
    appId: row.app_id,
    name: row.name,
    mimeType: row.mime_type,
    size: row.size,
    sha256: row.sha256,
    origin: row.origin,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export class FileRepository {
  constructor(private readonly db: SqlDb) {}

  async insert(file: StoredFile): Promise<void> {
    await this.db.run(
      `INSERT INTO files (id, app_id, name, mime_type, size, sha256, origin, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        file.id,
        file.appId,
        file.name,
        file.mimeType,
        file.size,
        file.sha256,
        file.origin,
        file.createdAt,
        file.expiresAt,
      ],
    );
  }

  async find(id: string): Promise<StoredFile | undefined> {
    const row = await this.db.get<FileRow>('SELECT * FROM files WHERE id = ?', [id]);
    return row && toFile(row);
  }

  async expired(now: number, limit: number): Promise<StoredFile[]> {
    const rows = await this.db.all<FileRow>(
      'SELECT * FROM files WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?',
      [now, limit],
    );
    return rows.map(toFile);
  }

  async delete(id: string): Promise<void> {
    await this.db.run('DELETE FROM files WHERE id = ?', [id]);
  }
}
