import type { SqlDb } from '../storage/sql.js';
import type { VoiceShape } from './voice-profile.js';
import { builtInVoices, type VoiceDef } from './voices.js';

export interface VoiceModelRecord {
  readonly voiceId: string;
  readonly appId: string;
  readonly name: string;
  readonly language: string;
  /** The built-in voice it shapes. */
  readonly baseVoice: string;
  readonly shape: VoiceShape;
  /** The voice model (profile and kept samples), a file of the app. */
  readonly fileId: string;
  readonly taskId: string;
  readonly createdAt: number;
}

interface Row {
  voice_id: string;
  app_id: string;
  name: string;
  language: string;
  base_voice: string;
  shape: string;
  file_id: string;
  task_id: string;
  created_at: number;
}

const toRecord = (row: Row): VoiceModelRecord => ({
  voiceId: row.voice_id,
  appId: row.app_id,
  name: row.name,
  language: row.language,
  baseVoice: row.base_voice,
  shape: JSON.parse(row.shape) as VoiceShape,
  fileId: row.file_id,
  taskId: row.task_id,
  createdAt: row.created_at,
});

/** The personal voices each app has trained, and the voice definitions TTS speaks them with. */
export class VoiceModelRepository {
  /** Every app's personal voices, read at start and kept as voices are registered here. */
  private known: VoiceDef[] = [];

  constructor(private readonly db: SqlDb) {}

  async register(record: VoiceModelRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO voice_models
         (voice_id, app_id, name, language, base_voice, shape, file_id, task_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        record.voiceId,
        record.appId,
        record.name,
        record.language,
        record.baseVoice,
        JSON.stringify(record.shape),
        record.fileId,
        record.taskId,
        record.createdAt,
      ],
    );
    await this.refresh();
  }

  async list(appId: string): Promise<VoiceModelRecord[]> {
    const rows = await this.db.all<Row>(
      'SELECT * FROM voice_models WHERE app_id = ? ORDER BY created_at DESC',
      [appId],
    );
    return rows.map(toRecord);
  }

  /** Reads every app's personal voices again (at start, and after one is registered). */
  async refresh(): Promise<void> {
    const rows = await this.db.all<Row>('SELECT * FROM voice_models');
    this.known = rows.flatMap((row) => {
      const record = toRecord(row);
      const base = builtInVoices.find((voice) => voice.id === record.baseVoice);
      if (!base) return [];
      return [
        {
          ...base,
          id: record.voiceId,
          name: `${record.name} (personal, from ${base.id})`,
          isDefault: false,
          shape: record.shape,
          ownerAppId: record.appId,
        },
      ];
    });
  }

  /** Every app's personal voices as TTS voices (each usable by its own app only). */
  voices(): VoiceDef[] {
    return this.known;
  }
}
