import { inTransaction, queryPrepared, type PgPool } from '../storage/postgres.js';
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

/**
 * The task store on Postgres, for instances sharing one database. A claim is one statement whose
 * row lock skips rows another instance is claiming (FOR UPDATE SKIP LOCKED), so workers racing for
 * the queue each get a different task and none waits on another.
 */
export class PgTaskStore implements TaskStore {
  constructor(private readonly pool: PgPool) {}

  private async one(sql: string, args: unknown[]): Promise<TaskRecord | undefined> {
    const { rows } = await queryPrepared<TaskRow>(this.pool, sql, args);
    return rows[0] && toRecord(rows[0]);
  }

  async create(task: NewTask, now: number): Promise<TaskRecord> {
    const created = await this.one(
      `INSERT INTO tasks (id, type, app_id, params, status, callback_url, user_data, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $7) RETURNING *`,
      [
        task.id,
        task.type,
        task.appId,
        JSON.stringify(task.params),
        task.callbackUrl ?? null,
        task.userData ?? null,
        now,
      ],
    );
    if (!created) throw new Error(`task ${task.id} was not stored`);
    return created;
  }

  get(id: string): Promise<TaskRecord | undefined> {
    return this.one('SELECT * FROM tasks WHERE id = $1', [id]);
  }

  async list(query: TaskListQuery): Promise<TaskPage> {
    const args: unknown[] = [query.appId, query.types];
    const where = `app_id = $1 AND type = ANY($2)${query.status ? ' AND status = $3' : ''}`;
    if (query.status) args.push(query.status);
    const { rows: counted } = await this.pool.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM tasks WHERE ${where}`,
      args,
    );
    const { rows } = await this.pool.query<TaskRow>(
      `SELECT * FROM tasks WHERE ${where} ORDER BY created_at DESC, seq DESC
         LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, query.size, (query.page - 1) * query.size],
    );
    return { items: rows.map(toRecord), total: counted[0]?.n ?? 0 };
  }

  claimNext(type: string, now: number): Promise<TaskRecord | undefined> {
    return this.one(
      `UPDATE tasks SET status = 'running', attempts = attempts + 1, started_at = $1, updated_at = $1
         WHERE id = (SELECT id FROM tasks WHERE status = 'queued' AND type = $2
                       ORDER BY created_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
      [now, type],
    );
  }

  claim(id: string, now: number): Promise<TaskRecord | undefined> {
    return this.one(
      `UPDATE tasks SET status = 'running', attempts = attempts + 1, started_at = $1, updated_at = $1
         WHERE id = $2 AND status IN ('queued', 'running') RETURNING *`,
      [now, id],
    );
  }

  async queuedBefore(before: number, limit: number): Promise<{ id: string; type: string }[]> {
    const { rows } = await this.pool.query<{ id: string; type: string }>(
      `SELECT id, type FROM tasks WHERE status = 'queued' AND updated_at < $1
         ORDER BY created_at, seq LIMIT $2`,
      [before, limit],
    );
    return rows;
  }

  async reportProgress(id: string, stage: string, progress: number, now: number): Promise<void> {
    await this.pool.query(
      `UPDATE tasks SET stage = $1, progress = GREATEST(progress, $2), updated_at = $3
         WHERE id = $4 AND status = 'running'`,
      [stage, Math.round(progress), now, id],
    );
  }

  async finish(id: string, outcome: TaskOutcome, now: number): Promise<boolean> {
    const error = outcome.status === 'succeeded' ? null : outcome.error;
    const result = outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : null;
    const { rowCount } = await this.pool.query(
      `UPDATE tasks SET status = $1, result = $2, error_code = $3, error_msg = $4, error_fix = $5,
           progress = CASE WHEN $1 = 'succeeded' THEN 100 ELSE progress END,
           finished_at = $6, updated_at = $6
         WHERE id = $7 AND status = 'running'`,
      [
        outcome.status,
        result,
        error?.code ?? null,
        error?.message ?? null,
        error?.fix ?? null,
        now,
        id,
      ],
    );
    return (rowCount ?? 0) > 0;
  }

  requestCancel(id: string, error: TaskFailure, now: number): Promise<CancelResult> {
    return inTransaction(this.pool, async (client): Promise<CancelResult> => {
      const { rows } = await client.query<{ status: TaskStatus }>(
        'SELECT status FROM tasks WHERE id = $1 FOR UPDATE',
        [id],
      );
      const status = rows[0]?.status;
      if (!status) return 'missing';
      if (status === 'queued') {
        await client.query(
          `UPDATE tasks SET status = 'cancelled', error_code = $1, error_msg = $2, error_fix = $3,
               finished_at = $4, updated_at = $4 WHERE id = $5`,
          [error.code, error.message, error.fix, now, id],
        );
        return 'cancelled';
      }
      if (status === 'running') {
        await client.query('UPDATE tasks SET cancel_requested = 1, updated_at = $1 WHERE id = $2', [
          now,
          id,
        ]);
        return 'signalled';
      }
      return 'ended';
    });
  }

  async release(id: string, now: number): Promise<void> {
    await this.pool.query(
      `UPDATE tasks SET status = 'queued', attempts = GREATEST(attempts - 1, 0), updated_at = $1
         WHERE id = $2 AND status = 'running'`,
      [now, id],
    );
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM tasks WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  recoverInterrupted(
    maxAttempts: number,
    failures: RecoveryFailures,
    now: number,
  ): Promise<RecoveryReport> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{
        id: string;
        attempts: number;
        cancel_requested: number;
      }>(`SELECT id, attempts, cancel_requested FROM tasks WHERE status = 'running' FOR UPDATE`);
      const requeued: string[] = [];
      const failed: string[] = [];
      for (const row of rows) {
        if (row.attempts < maxAttempts && row.cancel_requested === 0) {
          await client.query(`UPDATE tasks SET status = 'queued', updated_at = $1 WHERE id = $2`, [
            now,
            row.id,
          ]);
          requeued.push(row.id);
        } else {
          const cancelled = row.cancel_requested === 1;
          const error = cancelled ? failures.cancelled : failures.interrupted(row.attempts);
          await client.query(
            `UPDATE tasks SET status = $1, error_code = $2, error_msg = $3, error_fix = $4,
                 finished_at = $5, updated_at = $5 WHERE id = $6`,
            [cancelled ? 'cancelled' : 'failed', error.code, error.message, error.fix, now, row.id],
          );
          failed.push(row.id);
        }
      }
      return { requeued, failed };
    });
  }
}
