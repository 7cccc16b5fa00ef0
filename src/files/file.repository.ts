import { statement, type Db } from '../storage/database.js';

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
  constructor(private readonly db: Db) {}

  insert(file: StoredFile): void {
    statement(
      this.db,
      `INSERT INTO files (id, app_id, name, mime_type, size, sha256, origin, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      file.id,
      file.appId,
      file.name,
      file.mimeType,
      file.size,
      file.sha256,
      file.origin,
      file.createdAt,
      file.expiresAt,
    );
  }

  find(id: string): StoredFile | undefined {
    const row = statement(this.db, 'SELECT * FROM files WHERE id = ?').get(id) as
      FileRow | undefined;
    return row && toFile(row);
  }

  expired(now: number, limit: number): StoredFile[] {
    return (
      statement(
        this.db,
        'SELECT * FROM files WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?',
      ).all(now, limit) as FileRow[]
    ).map(toFile);
  }

  delete(id: string): void {
    statement(this.db, 'DELETE FROM files WHERE id = ?').run(id);
  }
}
