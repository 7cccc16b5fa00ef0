import type { SqlDb } from '../storage/sql.js';

export interface AvatarModelRecord {
  readonly faceFeatureId: string;
  readonly appId: string;
  readonly name: string;
  readonly fileId: string;
  readonly taskId: string;
  readonly kind: 'video' | 'image';
  readonly createdAt: number;
}

interface Row {
  face_feature_id: string;
  app_id: string;
  name: string;
  file_id: string;
  task_id: string;
  kind: 'video' | 'image';
  created_at: number;
}

const toRecord = (row: Row): AvatarModelRecord => ({
  faceFeatureId: row.face_feature_id,
  appId: row.app_id,
  name: row.name,
  fileId: row.file_id,
  taskId: row.task_id,
  kind: row.kind,
  createdAt: row.created_at,
});

/** The avatar models each app has built: a face_feature_id names its zip. */
export class AvatarRepository {
  constructor(private readonly db: SqlDb) {}

  async register(record: AvatarModelRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO avatar_models (face_feature_id, app_id, name, file_id, task_id, kind, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        record.faceFeatureId,
        record.appId,
        record.name,
        record.fileId,
        record.taskId,
        record.kind,
        record.createdAt,
      ],
    );
  }

  async find(faceFeatureId: string, appId: string): Promise<AvatarModelRecord | undefined> {
    const row = await this.db.get<Row>(
      'SELECT * FROM avatar_models WHERE face_feature_id = ? AND app_id = ?',
      [faceFeatureId, appId],
    );
    return row ? toRecord(row) : undefined;
  }

  async list(appId: string): Promise<AvatarModelRecord[]> {
    const rows = await this.db.all<Row>(
      'SELECT * FROM avatar_models WHERE app_id = ? ORDER BY created_at DESC',
      [appId],
    );
    return rows.map(toRecord);
  }
}
