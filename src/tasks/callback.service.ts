import type { SqlDb } from '../storage/sql.js';
import type { AddressPolicy } from '../net/address-policy.js';
import { safeRequest } from '../net/safe-request.js';
import { hmacHex } from '../util/ids.js';
import { toTaskAnswer } from './task.answer.js';
import type { TaskRecord } from './task.types.js';

export interface CallbackOptions {
  readonly policy: AddressPolicy;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  /** The first retry waits this long; each next one twice as long. */
  readonly baseDelayMs?: number;
  readonly pollIntervalMs?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;
  readonly now?: () => number;
}

export interface CallbackRecord {
  readonly id: number;
  readonly taskId: string;
  readonly url: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

interface CallbackRow {
  id: number;
  task_id: string;
  app_id: string;
  url: string;
  body: string;
  status: CallbackRecord['status'];
  attempts: number;
  last_status: number | null;
  last_error: string | null;
}

/** The signature header a receiver checks: HMAC-SHA256 with the app key over "<timestamp>.<body>". */
export function signCallback(appKey: string, timestamp: string, body: string): string {
  return `sha256=${hmacHex(appKey, `${timestamp}.${body}`)}`;
}

/**
 * Callbacks on task end states: recorded in the database first (so a restart does not lose them),
 * POSTed signed with the app's key, retried with exponential back-off, and every attempt recorded.
 */
export class CallbackService {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private delivering = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: SqlDb,
    private readonly appKeyOf: (appId: string) => Promise<string | undefined>,
    private readonly options: CallbackOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Records the callback for a task that just ended, if it or its app has a callback URL. */
  async enqueue(task: TaskRecord, appCallbackUrl: string | null): Promise<void> {
    const url = task.callbackUrl ?? appCallbackUrl;
    if (!url) return;
    await this.enqueueEvent(task.appId, task.id, url, {
      ...toTaskAnswer(task),
      userData: task.userData,
    });
  }

  /**
   * Records a callback about anything of an app's (`subjectId`: a task, a live session), to be
   * POSTed to `url` signed like a task's, with the same retries.
   */
  async enqueueEvent(appId: string, subjectId: string, url: string, body: object): Promise<void> {
    const now = this.now();
    await this.db.run(
      `INSERT INTO callbacks (task_id, app_id, url, body, status, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
      [subjectId, appId, url, JSON.stringify(body), now, now, now],
    );
    this.kick();
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }

  async list(taskId: string): Promise<CallbackRecord[]> {
    const rows = await this.db.all<CallbackRow>(
      'SELECT * FROM callbacks WHERE task_id = ? ORDER BY id',
      [taskId],
    );
    return rows.map((row) => ({
      id: row.id,
      taskId: row.task_id,
      url: row.url,
      status: row.status,
      attempts: row.attempts,
      lastStatus: row.last_status,
      lastError: row.last_error,
    }));
  }

  private kick(): void {
    if (this.delivering) return;
    this.delivering = true;
    const run = this.deliverDue()
      .catch((error: unknown) =>
        this.options.log?.('error', 'callback delivery failed', { error: String(error) }),
      )
      .finally(() => {
        this.delivering = false;
        this.inFlight.delete(run);
      });
    this.inFlight.add(run);
  }

  /**
   * Claims the due callbacks (their next attempt moved past the time a delivery may take, so no
   * other instance sharing the database takes them meanwhile) and delivers them.
   */
  private async deliverDue(): Promise<void> {
    const now = this.now();
    const lease = now + this.options.timeoutMs + 30_000;
    const skipLocked = this.db.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    const due = await this.db.all<CallbackRow>(
      `UPDATE callbacks SET next_attempt_at = ?
         WHERE id IN (SELECT id FROM callbacks WHERE status = 'pending' AND next_attempt_at <= ?
                        ORDER BY next_attempt_at LIMIT 20 ${skipLocked})
         RETURNING *`,
      [lease, now],
    );
    await Promise.all(due.map((row) => this.deliver(row)));
  }

  private async deliver(row: CallbackRow): Promise<void> {
    const appKey = (await this.appKeyOf(row.app_id)) ?? '';
    const timestamp = String(this.now());
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await safeRequest(row.url, {
        policy: this.options.policy,
        method: 'POST',
        maxRedirects: 0,
        timeoutMs: this.options.timeoutMs,
        body: row.body,
        headers: {
          'content-type': 'application/json',
          'x-anima-timestamp': timestamp,
          'x-anima-signature': signCallback(appKey, timestamp, row.body),
          'x-anima-task-id': row.task_id,
        },
      });
      response.body.resume();
      status = response.status;
      if (status < 200 || status >= 300) error = `receiver answered HTTP ${status}`;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const attempts = row.attempts + 1;
    const now = this.now();
    const outcome =
      error === null ? 'delivered' : attempts >= this.options.maxAttempts ? 'failed' : 'pending';
    const delay = (this.options.baseDelayMs ?? 1000) * 2 ** (attempts - 1);
    await this.db.run(
      `UPDATE callbacks SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
         WHERE id = ?`,
      [outcome, attempts, status, error, now + delay, now, row.id],
    );
    if (outcome === 'failed') {
      this.options.log?.('warn', 'callback given up', { taskId: row.task_id, url: row.url, error });
    }
  }
}
