/**
 * Live sessions as recorded: who owns each, the instance running it, its state and why it ended,
 * kept after the end so a client can still ask. A session's stream lives in the process that runs
 * it: after a restart, those that were running are recorded as ended by it (and their callbacks
 * sent). Instances record their signs of life and live slots here too.
 */
import { AppError } from '../errors/app-error.js';
import type { SqlDb } from '../storage/sql.js';

/** The hosted statuses (32 initialising, 35 stream ready) and ours for the end. */
export const liveStatus = { initialising: 32, live: 35, ended: 37, failed: 38 } as const;
export type LiveState = keyof typeof liveStatus;

export interface LiveRecord {
  readonly id: string;
  readonly appId: string;
  readonly tokenHash: string;
  readonly state: LiveState;
  readonly reason: string | null;
  readonly userData: string | null;
  readonly callbackUrl: string | null;
  readonly pushUrl: string | null;
  readonly counters: Record<string, number> | null;
  /** The instance that runs (or ran) the session. */
  readonly owner: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A session still running (or starting), as recorded. */
export const isRunningState = (state: LiveState): boolean =>
  state === 'initialising' || state === 'live';

interface Row {
  id: string;
  app_id: string;
  token_hash: string;
  state: LiveState;
  reason: string | null;
  user_data: string | null;
  callback_url: string | null;
  push_url: string | null;
  counters: string | null;
  owner: string | null;
  created_at: number;
  updated_at: number;
}

function toRecord(row: Row): LiveRecord {
  return {
    id: row.id,
    appId: row.app_id,
    tokenHash: row.token_hash,
    state: row.state,
    reason: row.reason,
    userData: row.user_data,
    callbackUrl: row.callback_url,
    pushUrl: row.push_url,
    counters: row.counters ? (JSON.parse(row.counters) as Record<string, number>) : null,
    owner: row.owner,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class LiveRepository {
  /** `owner`: the instance whose sessions these are (the data directory's instance id). */
  constructor(
    private readonly db: SqlDb,
    private readonly owner: string,
  ) {}

  /**
   * Records a new session run here, unless its app already runs `maxPerApp` (counted across every
   * instance sharing the database, one app's inserts one after another): then liveAppLimit.
   */
  async insert(
    record: Omit<LiveRecord, 'state' | 'reason' | 'counters' | 'owner' | 'updatedAt'>,
    maxPerApp: number,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const running = await tx.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM live_sessions
           WHERE app_id = ? AND state IN ('initialising', 'live')`,
        [record.appId],
      );
      if (Number(running?.n ?? 0) >= maxPerApp) {
        throw new AppError('liveAppLimit', { max: maxPerApp });
      }
      await tx.run(
        `INSERT INTO live_sessions (id, app_id, token_hash, status, state, user_data, callback_url,
           push_url, owner, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'initialising', ?, ?, ?, ?, ?, ?)`,
        [
          record.id,
          record.appId,
          record.tokenHash,
          liveStatus.initialising,
          record.userData,
          record.callbackUrl,
          record.pushUrl,
          this.owner,
          record.createdAt,
          record.createdAt,
        ],
      );
    }, `live-app:${record.appId}`);
  }

  /** An app's sessions still running, on any instance, oldest first. */
  async runningOf(appId: string): Promise<LiveRecord[]> {
    const rows = await this.db.all<Row>(
      `SELECT * FROM live_sessions WHERE app_id = ? AND state IN ('initialising', 'live')
         ORDER BY created_at`,
      [appId],
    );
    return rows.map(toRecord);
  }

  async update(
    id: string,
    state: LiveState,
    fields: { reason?: string; counters?: object } = {},
  ): Promise<LiveRecord | undefined> {
    const row = await this.db.get<Row>(
      `UPDATE live_sessions SET state = ?, status = ?, reason = COALESCE(?, reason),
         counters = COALESCE(?, counters), updated_at = ? WHERE id = ? RETURNING *`,
      [
        state,
        liveStatus[state],
        fields.reason ?? null,
        fields.counters ? JSON.stringify(fields.counters) : null,
        Date.now(),
        id,
      ],
    );
    return row ? toRecord(row) : undefined;
  }

  async find(id: string): Promise<LiveRecord | undefined> {
    const row = await this.db.get<Row>('SELECT * FROM live_sessions WHERE id = ?', [id]);
    return row ? toRecord(row) : undefined;
  }

  /**
   * Says this instance is alive (its sessions are not to be ended by others) and how many live
   * slots it has (0 on an API instance, which runs none).
   */
  async heartbeat(now: number, liveSlots: number): Promise<void> {
    await this.db.run(
      `INSERT INTO instances (id, seen_at, live_slots) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, live_slots = excluded.live_slots`,
      [this.owner, now, liveSlots],
    );
  }

  /**
   * Instances that run live sessions and gave a sign of life since `since`, the least busy
   * first (by sessions running); this one first among equals.
   */
  async sessionHosts(since: number): Promise<{ id: string; running: number }[]> {
    const rows = await this.db.all<{ id: string; running: number }>(
      `SELECT i.id, (SELECT COUNT(*) FROM live_sessions s
           WHERE s.owner = i.id AND s.state IN ('initialising', 'live')) AS running
         FROM instances i WHERE i.live_slots > 0 AND i.seen_at >= ?`,
      [since],
    );
    return rows
      .map((row) => ({ id: row.id, running: Number(row.running) }))
      .sort(
        (a, b) =>
          a.running - b.running ||
          Number(b.id === this.owner) - Number(a.id === this.owner) ||
          a.id.localeCompare(b.id),
      );
  }

  /** Other instances' running sessions whose instance has given no sign of life since `before`. */
  async orphaned(before: number): Promise<LiveRecord[]> {
    const rows = await this.db.all<Row>(
      `SELECT s.* FROM live_sessions s JOIN instances i ON i.id = s.owner
         WHERE s.state IN ('initialising', 'live') AND s.owner <> ? AND i.seen_at < ?
         ORDER BY s.created_at`,
      [this.owner, before],
    );
    return rows.map(toRecord);
  }

  /** Ends a session still recorded as running; undefined if another instance ended it first. */
  async endIfRunning(id: string, reason: string): Promise<LiveRecord | undefined> {
    const row = await this.db.get<Row>(
      `UPDATE live_sessions SET state = 'ended', status = ?, reason = ?, updated_at = ?
         WHERE id = ? AND state IN ('initialising', 'live') RETURNING *`,
      [liveStatus.ended, reason, Date.now(), id],
    );
    return row ? toRecord(row) : undefined;
  }

  /** This instance's sessions recorded as running (after a restart: those the stop cut off). */
  async running(): Promise<LiveRecord[]> {
    const rows = await this.db.all<Row>(
      `SELECT * FROM live_sessions WHERE state IN ('initialising', 'live')
         AND (owner = ? OR owner IS NULL) ORDER BY created_at`,
      [this.owner],
    );
    return rows.map(toRecord);
  }
}
