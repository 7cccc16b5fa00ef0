/**
 * Postgres, for instances that share one database (`ANIMA_DATABASE_URL=postgres://...`): a pool
 * whose BIGINT columns (milliseconds since 1970) come back as numbers, and the schema migrations,
 * applied under an advisory lock so instances starting together do not race.
 */
import pg from 'pg';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** The lock every instance takes while migrating: one migrates, the others wait and find it done. */
const migrationLock = 0x616e696d61;

/**
 * The same tables as the SQLite schema (storage/database.ts), in Postgres's words: times are BIGINT
 * milliseconds, JSON documents TEXT as there, and tasks carry a sequence for first-in-first-out
 * order where SQLite uses its rowid. Append only.
 */
const migrations: readonly string[] = [
  `CREATE TABLE apps (
     app_id TEXT PRIMARY KEY,
     app_key TEXT NOT NULL,
     name TEXT NOT NULL,
     callback_url TEXT,
     created_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE TABLE tokens (
     seq BIGSERIAL UNIQUE,
     token_hash TEXT PRIMARY KEY,
     app_id TEXT NOT NULL REFERENCES apps(app_id),
     kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     revoked_at BIGINT,
     sealed TEXT
   );
   CREATE INDEX tokens_live ON tokens(app_id, kind, created_at) WHERE revoked_at IS NULL;
   CREATE INDEX tokens_dead ON tokens(revoked_at) WHERE revoked_at IS NOT NULL;
   CREATE INDEX tokens_expiry ON tokens(expires_at);
   CREATE TABLE tasks (
     seq BIGSERIAL UNIQUE,
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
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     started_at BIGINT,
     finished_at BIGINT
   );
   CREATE INDEX tasks_queue ON tasks(status, type, created_at, seq);
   CREATE INDEX tasks_app ON tasks(app_id, type, created_at);
   CREATE TABLE callbacks (
     id BIGSERIAL PRIMARY KEY,
     task_id TEXT NOT NULL,
     app_id TEXT NOT NULL,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at BIGINT NOT NULL,
     last_status INTEGER,
     last_error TEXT,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL
   );
   CREATE INDEX callbacks_due ON callbacks(status, next_attempt_at);
   CREATE TABLE files (
     id TEXT PRIMARY KEY,
     app_id TEXT,
     name TEXT NOT NULL,
     mime_type TEXT NOT NULL,
     size BIGINT NOT NULL,
     sha256 TEXT NOT NULL,
     origin TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT
   );
   CREATE INDEX files_expiry ON files(expires_at);
   CREATE TABLE avatar_models (
     face_feature_id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     name TEXT NOT NULL,
     file_id TEXT NOT NULL,
     task_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX avatar_models_app ON avatar_models(app_id, created_at);
   CREATE TABLE voice_models (
     voice_id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     name TEXT NOT NULL,
     language TEXT NOT NULL,
     base_voice TEXT NOT NULL,
     shape TEXT NOT NULL,
     file_id TEXT NOT NULL,
     task_id TEXT NOT NULL,
     created_at BIGINT NOT NULL
   );
   CREATE INDEX voice_models_app ON voice_models(app_id, created_at);
   CREATE TABLE live_sessions (
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
     owner TEXT,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL
   );
   CREATE INDEX live_sessions_app ON live_sessions(app_id, state);
   CREATE TABLE instances (id TEXT PRIMARY KEY, seen_at BIGINT NOT NULL);`,
  // How many live slots each instance has: new sessions go to one with room (0: an API instance).
  `ALTER TABLE instances ADD COLUMN live_slots INTEGER NOT NULL DEFAULT 0;`,
];

/** BIGINT as a number: milliseconds and sizes stay far below 2^53. Other types as pg reads them. */
const int8 = 20;
const types = new pg.TypeOverrides();
types.setTypeParser(int8, 'text', Number);

/**
 * A pool on `url`, the schema migrated. Fails (with the driver's reason) when the server cannot
 * be reached or refuses the login.
 */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<PgPool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types,
    connectionTimeoutMillis: 5000,
  });
  // An idle connection the server drops must not take the process down with it.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pool;
}

async function migrate(pool: PgPool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT MAX(version) AS v FROM schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    for (const [index, sql] of migrations.entries()) {
      if (index + 1 <= current) continue;
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        index + 1,
        Date.now(),
      ]);
    }
  });
}

/** `work` in one transaction on one connection: committed when it returns, rolled back if it throws. */
export async function inTransaction<T>(
  pool: PgPool,
  work: (client: PgClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Statements by name: Postgres parses and plans each once per connection, not on every call (our
 * statements are a fixed set, written in the code; on these 2 cores a task query went from 1,723
 * to 3,171 req/s). A plan whose columns changed under it (another instance migrated the schema, a
 * rolling upgrade) fails with 0A000; then every statement is prepared again under new names.
 */
const names = new Map<string, number>();
let generation = 1;

function prepared(text: string, values: readonly unknown[]): pg.QueryConfig {
  let index = names.get(text);
  if (index === undefined) {
    index = names.size + 1;
    names.set(text, index);
  }
  return { name: `anima_${generation}_${index}`, text, values: [...values] };
}

/** Runs a statement prepared by name on the pool or one of its clients (in a transaction). */
export async function queryPrepared<R extends pg.QueryResultRow>(
  target: PgPool | PgClient,
  text: string,
  values: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await target.query<R>(prepared(text, values));
  } catch (error) {
    if ((error as { code?: string }).code !== '0A000') throw error;
    generation += 1;
    return target.query<R>(prepared(text, values));
  }
}
