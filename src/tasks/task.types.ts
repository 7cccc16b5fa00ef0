export const taskStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export const endStatuses: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled'];

export type JsonObject = { [key: string]: unknown };

export interface TaskRecord {
  readonly id: string;
  readonly type: string;
  readonly appId: string;
  readonly params: JsonObject;
  readonly status: TaskStatus;
  readonly stage: string;
  readonly progress: number;
  readonly errorCode: number | null;
  readonly errorMsg: string | null;
  readonly errorFix: string | null;
  readonly result: JsonObject | null;
  readonly callbackUrl: string | null;
  readonly userData: string | null;
  readonly attempts: number;
  readonly cancelRequested: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface NewTask {
  readonly id: string;
  readonly type: string;
  readonly appId: string;
  readonly params: JsonObject;
  readonly callbackUrl?: string | null;
  readonly userData?: string | null;
}

export interface TaskFailure {
  readonly code: number;
  readonly message: string;
  readonly fix: string;
}

export type TaskOutcome =
  | { readonly status: 'succeeded'; readonly result: JsonObject }
  | { readonly status: 'failed'; readonly error: TaskFailure }
  | { readonly status: 'cancelled'; readonly error: TaskFailure };

export interface TaskListQuery {
  readonly appId: string;
  readonly types: readonly string[];
  readonly status?: TaskStatus;
  readonly page: number;
  readonly size: number;
}

export interface TaskPage {
  readonly items: readonly TaskRecord[];
  readonly total: number;
}

export type CancelResult = 'cancelled' | 'signalled' | 'ended' | 'missing';

export interface RecoveryFailures {
  /** For a task that has used up its starts. */
  readonly interrupted: (attempts: number) => TaskFailure;
  /** For a task whose cancellation was asked for before the crash. */
  readonly cancelled: TaskFailure;
}

export interface RecoveryReport {
  readonly requeued: readonly string[];
  readonly failed: readonly string[];
}

/**
 * Durable task storage. SQLite implements it now; a Postgres backend implements the same
 * interface (and passes the same test suite) when the platform scales out.
 */
export interface TaskStore {
  create(task: NewTask, now: number): Promise<TaskRecord>;
  get(id: string): Promise<TaskRecord | undefined>;
  list(query: TaskListQuery): Promise<TaskPage>;
  /** Atomically moves the oldest queued task of a type to running, counting the attempt. */
  claimNext(type: string, now: number): Promise<TaskRecord | undefined>;
  /**
   * Takes one named task to run: a queued one, or a running one whose runner stopped (a queue
   * that hands tasks out itself knows which). Running, its start counted; undefined when it has
   * ended or is missing.
   */
  claim(id: string, now: number): Promise<TaskRecord | undefined>;
  /** Queued tasks last touched before `before`, oldest first: those a queue may have lost. */
  queuedBefore(before: number, limit: number): Promise<{ id: string; type: string }[]>;
  reportProgress(id: string, stage: string, progress: number, now: number): Promise<void>;
  /** Ends a running task; false when it was not running (cancelled or deleted meanwhile). */
  finish(id: string, outcome: TaskOutcome, now: number): Promise<boolean>;
  /** Ends a queued task at once, or flags a running one for its worker to stop. */
  requestCancel(id: string, error: TaskFailure, now: number): Promise<CancelResult>;
  /** Puts a running task back in the queue without counting the attempt (graceful shutdown). */
  release(id: string, now: number): Promise<void>;
  delete(id: string): Promise<boolean>;
  /**
   * After a crash: tasks left "running" are queued again, or failed with `failure` once they
   * have used `maxAttempts` starts. Nothing stays running.
   */
  recoverInterrupted(
    maxAttempts: number,
    failures: RecoveryFailures,
    now: number,
  ): Promise<RecoveryReport>;
}
