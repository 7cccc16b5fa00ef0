import { statement, type Db } from '../storage/database.js';
import { toRecord, type TaskRow } from './task-row.js';
import type {
  CancelResult,
  NewTask,
  RecoveryFailures,
  RecoveryReport,
  TaskFailure,
  TaskListQuery,
  TaskOutcome,
  TaskPage,
  TaskRecord,
  TaskStatus,
  TaskStore,
} from './task.types.js';

/** The task store on SQLite (better-sqlite3, WAL). Calls are synchronous underneath. */
export class SqliteTaskStore implements TaskStore {
  constructor(private readonly db: Db) {}

  create(task: NewTask, now: number): Promise<TaskRecord> {
    const row = statement(
      this.db,
      `INSERT INTO tasks (id, type, app_id, params, status, callback_url, user_data, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?) RETURNING *`,
    ).get(
      task.id,
      task.type,
      task.appId,
      JSON.stringify(task.params),
      task.callbackUrl ?? null,
      task.userData ?? null,
      now,
      now,
    ) as TaskRow;
    return Promise.resolve(toRecord(row));
  }

  get(id: string): Promise<TaskRecord | undefined> {
    const row = statement(this.db, 'SELECT * FROM tasks WHERE id = ?').get(id) as
      TaskRow | undefined;
    return Promise.resolve(row && toRecord(row));
  }

  list(query: TaskListQuery): Promise<TaskPage> {
    const types = query.types.map(() => '?').join(', ');
    const where = `app_id = ? AND type IN (${types})${query.status ? ' AND status = ?' : ''}`;
    const args: unknown[] = [query.appId, ...query.types];
    if (query.status) args.push(query.status);
    const total = (
      statement(this.db, `SELECT COUNT(*) AS n FROM tasks WHERE ${where}`).get(...args) as {
        n: number;
      }
    ).n;
    const rows = statement(
      this.db,
      `SELECT * FROM tasks WHERE ${where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
    ).all(...args, query.size, (query.page - 1) * query.size) as TaskRow[];
    return Promise.resolve({ items: rows.map(toRecord), total });
  }

  claimNext(type: string, now: number): Promise<TaskRecord | undefined> {
    const row = statement(
      this.db,
      `UPDATE tasks SET status = 'running', attempts = attempts + 1, started_at = ?, updated_at = ?
         WHERE id = (SELECT id FROM tasks WHERE status = 'queued' AND type = ? ORDER BY created_at, rowid LIMIT 1)
         RETURNING *`,
    ).get(now, now, type) as TaskRow | undefined;
    return Promise.resolve(row && toRecord(row));
  }

  claim(id: string, now: number): Promise<TaskRecord | undefined> {
    const row = statement(
      this.db,
      `UPDATE tasks SET status = 'running', attempts = attempts + 1, started_at = ?, updated_at = ?
         WHERE id = ? AND status IN ('queued', 'running') RETURNING *`,
    ).get(now, now, id) as TaskRow | undefined;
    return Promise.resolve(row && toRecord(row));
  }

  queuedBefore(before: number, limit: number): Promise<{ id: string; type: string }[]> {
    return Promise.resolve(
      statement(
        this.db,
        `SELECT id, type FROM tasks WHERE status = 'queued' AND updated_at < ?
           ORDER BY created_at, rowid LIMIT ?`,
      ).all(before, limit) as { id: string; type: string }[],
    );
  }

  reportProgress(id: string, stage: string, progress: number, now: number): Promise<void> {
    statement(
      this.db,
      `UPDATE tasks SET stage = ?, progress = MAX(progress, ?), updated_at = ? WHERE id = ? AND status = 'running'`,
    ).run(stage, Math.round(progress), now, id);
    return Promise.resolve();
  }

  finish(id: string, outcome: TaskOutcome, now: number): Promise<boolean> {
    const error = outcome.status === 'succeeded' ? null : outcome.error;
    const result = outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : null;
    const changes = statement(
      this.db,
      `UPDATE tasks SET status = ?, result = ?, error_code = ?, error_msg = ?, error_fix = ?,
           progress = CASE WHEN ? = 'succeeded' THEN 100 ELSE progress END,
           finished_at = ?, updated_at = ?
         WHERE id = ? AND status = 'running'`,
    ).run(
      outcome.status,
      result,
      error?.code ?? null,
      error?.message ?? null,
      error?.fix ?? null,
      outcome.status,
      now,
      now,
      id,
    ).changes;
    return Promise.resolve(changes > 0);
  }

  requestCancel(id: string, error: TaskFailure, now: number): Promise<CancelResult> {
    const outcome = this.db.transaction((): CancelResult => {
      const row = statement(this.db, 'SELECT status FROM tasks WHERE id = ?').get(id) as
        { status: TaskStatus } | undefined;
      if (!row) return 'missing';
      if (row.status === 'queued') {
        statement(
          this.db,
          `UPDATE tasks SET status = 'cancelled', error_code = ?, error_msg = ?, error_fix = ?,
               finished_at = ?, updated_at = ? WHERE id = ?`,
        ).run(error.code, error.message, error.fix, now, now, id);
        return 'cancelled';
      }
      if (row.status === 'running') {
        statement(
          this.db,
          'UPDATE tasks SET cancel_requested = 1, updated_at = ? WHERE id = ?',
        ).run(now, id);
        return 'signalled';
      }
      return 'ended';
    })();
    return Promise.resolve(outcome);
  }

  release(id: string, now: number): Promise<void> {
    statement(
      this.db,
      `UPDATE tasks SET status = 'queued', attempts = MAX(attempts - 1, 0), updated_at = ?
         WHERE id = ? AND status = 'running'`,
    ).run(now, id);
    return Promise.resolve();
  }

  delete(id: string): Promise<boolean> {
    return Promise.resolve(
      statement(this.db, 'DELETE FROM tasks WHERE id = ?').run(id).changes > 0,
    );
  }

  recoverInterrupted(
    maxAttempts: number,
    failures: RecoveryFailures,
    now: number,
  ): Promise<RecoveryReport> {
    const report = this.db.transaction((): RecoveryReport => {
      const rows = statement(
        this.db,
        `SELECT id, attempts, cancel_requested FROM tasks WHERE status = 'running'`,
      ).all() as { id: string; attempts: number; cancel_requested: number }[];
      const requeued: string[] = [];
      const failed: string[] = [];
      for (const row of rows) {
        if (row.attempts < maxAttempts && row.cancel_requested === 0) {
          statement(this.db, `UPDATE tasks SET status = 'queued', updated_at = ? WHERE id = ?`).run(
            now,
            row.id,
          );
          requeued.push(row.id);
        } else {
          const cancelled = row.cancel_requested === 1;
          const error = cancelled ? failures.cancelled : failures.interrupted(row.attempts);
          const status = cancelled ? 'cancelled' : 'failed';
          statement(
            this.db,
            `UPDATE tasks SET status = ?, error_code = ?, error_msg = ?, error_fix = ?,
                 finished_at = ?, updated_at = ? WHERE id = ?`,
          ).run(status, error.code, error.message, error.fix, now, now, row.id);
          failed.push(row.id);
        }
      }
      return { requeued, failed };
    })();
    return Promise.resolve(report);
  }
}
