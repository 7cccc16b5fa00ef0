import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

/**
 * Schema migrations, applied in order and recorded in `schema_migrations`. Append only: a shipped
 * migration is never edited, so every data directory upgrades the same way.
 */
const migrations: readonly string[] = [
  `CREATE TABLE apps (
     app_id TEXT PRIMARY KEY,
     app_key TEXT NOT NULL,
     name TEXT NOT NULL,
     callback_url TEXT,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE TABLE tokens (
     token_hash TEXT PRIMARY KEY,
     app_id TEXT NOT NULL REFERENCES apps(app_id),
     kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE INDEX tokens_app ON tokens(app_id, kind, created_at);
   CREATE TABLE tasks (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     app_id TEXT NOT NULL,
     params TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
     stage TEXT NOT NULL DEFAULT '',
     progress INTEGER NOT NULL DEFAULT 0,
     error_code INTEGER,
     error_msg TEXT,
     error_fix TEXT,
     result TEXT,
     callback_url TEXT,
     user_data TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     cancel_requested INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER
   );
   CREATE INDEX tasks_queue ON tasks(status, type, created_at);
   CREATE INDEX tasks_app ON tasks(app_id, type, created_at);
   CREATE TABLE callbacks (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     task_id TEXT NOT NULL,
     app_id TEXT NOT NULL,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_status INTEGER,
     last_error TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX callbacks_due ON callbacks(status, next_attempt_at);
   CREATE TABLE files (
     id TEXT PRIMARY KEY,
     app_id TEXT,
     name TEXT NOT NULL,
     mime_type TEXT NOT NULL,
     size INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     origin TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER
   );
   CREATE INDEX files_expiry ON files(expires_at);`,
  // Retiring the oldest live tokens must not scan every token the app ever had.
  `DROP INDEX tokens_app;
   CREATE INDEX tokens_live ON tokens(app_id, kind, created_at) WHERE revoked_at IS NULL;
   CREATE INDEX tokens_dead ON tokens(revoked_at) WHERE revoked_at IS NOT NULL;
   CREATE INDEX tokens_expiry ON tokens(expires_at);`,
  // Avatar models, registered for the app that built them.
  `CREATE TABLE avatar_models (
     face_feature_id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     name TEXT NOT NULL,
     file_id TEXT NOT NULL,
     task_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX avatar_models_app ON avatar_models(app_id, created_at);`,
  // Personal voices, registered for the app that trained them; the shape is what TTS applies.
  `CREATE TABLE voice_models (
     voice_id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     name TEXT NOT NULL,
     language TEXT NOT NULL,
     base_voice TEXT NOT NULL,
     shape TEXT NOT NULL,
     file_id TEXT NOT NULL,
     task_id TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX voice_models_app ON voice_models(app_id, created_at);`,
  // Models are kept until deleted: those saved while models still expired with other results.
  `UPDATE files SET expires_at = NULL
     WHERE id IN (SELECT file_id FROM avatar_models UNION SELECT file_id FROM voice_models);`,
  // Tokens are kept sealed too, so an app at its cap can be answered with a token it holds.
  `ALTER TABLE tokens ADD COLUMN sealed TEXT;`,
  // Live sessions: kept after they end, so their status (and why they ended) can be asked.
  `CREATE TABLE live_sessions (
     id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     token_hash TEXT NOT NULL,
     status INTEGER NOT NULL,
     state TEXT NOT NULL,
     reason TEXT,
     user_data TEXT,
     callback_url TEXT,
     push_url TEXT,
     counters TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX live_sessions_app ON live_sessions(app_id, state);`,
  // The instance a live session runs on: at start, an instance ends only its own cut-off sessions.
  `ALTER TABLE live_sessions ADD COLUMN owner TEXT;`,
  // Instances' signs of life: a live session whose instance has gone quiet is ended by another.
  `CREATE TABLE instances (id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL);`,
  // How many live slots each instance has: new sessions go to one with room (0: an API instance).
  `ALTER TABLE instances ADD COLUMN live_slots INTEGER NOT NULL DEFAULT 0;`,
];

/** Opens (and creates, and migrates) the SQLite database in WAL mode. */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
    v: number | null;
  };
  const current = row.v ?? 0;
  const apply = db.transaction((version: number, sql: string) => {
    db.exec(sql);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
      version,
      Date.now(),
    );
  });
  migrations.forEach((sql, index) => {
    if (index + 1 > current) apply(index + 1, sql);
  });
}

const statementCaches = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement for this SQL, prepared once per connection: preparing costs more than
 * running a simple query, and every request runs several.
 */
export function statement(db: Db, sql: string): Database.Statement {
  let cache = statementCaches.get(db);
  if (!cache) {
    cache = new Map();
    statementCaches.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}
