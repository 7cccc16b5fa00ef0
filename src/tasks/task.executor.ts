import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../errors/app-error.js';
import { errorCatalog, formatMessage } from '../errors/catalog.js';
import { unexpectedError } from '../errors/unexpected.js';
import { isAbortError } from '../media/process.runner.js';
import { newHexId } from '../util/ids.js';
import type { SubmitOptions, TaskHandlers } from './task.contract.js';
import type { JsonObject, TaskFailure, TaskOutcome, TaskRecord, TaskStore } from './task.types.js';

/** What running a task needs to know, whichever queue hands it over. */
export interface TaskExecutorOptions {
  readonly workRoot: string;
  readonly progressIntervalMs?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;
  readonly now?: () => number;
}

export type EndListener = (task: TaskRecord) => void;

export function failureOf(error: AppError): TaskFailure {
  return { code: error.code, message: error.message, fix: error.fix };
}

export function catalogFailure(
  key: 'taskCancelled' | 'internal',
  params: Record<string, unknown> = {},
): TaskFailure {
  const entry = errorCatalog[key];
  return {
    code: entry.code,
    message: formatMessage(entry.message, params),
    fix: formatMessage(entry.fix, params),
  };
}

/** Why a running handler's signal was aborted. */
export const cancelReason = 'cancel';
export const shutdownReason = 'shutdown';

/** The failures a task gets when what ran it stopped for good, or its cancel was left pending. */
export const recoveryFailures = {
  interrupted: (attempts: number) => failureOf(new AppError('taskInterrupted', { attempts })),
  cancelled: catalogFailure('taskCancelled'),
};

/**
 * Runs one claimed task: its handler in its own work folder, progress reported to the store
 * (throttled), the outcome recorded once, and its end told to the listeners. A task stopped by
 * shutdown goes back to the queue without its start counting.
 */
export class TaskExecutor<Payloads extends Record<string, object>> {
  private readonly endListeners: EndListener[] = [];
  readonly now: () => number;

  constructor(
    private readonly store: TaskStore,
    private readonly handlers: TaskHandlers<Payloads>,
    private readonly options: TaskExecutorOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get types(): readonly string[] {
    return Object.keys(this.handlers);
  }

  onEnded(listener: EndListener): void {
    this.endListeners.push(listener);
  }

  /** Records a new queued task, its callback URL checked first (`checkCallbackUrl`). */
  async record(
    type: string,
    appId: string,
    params: JsonObject,
    options: SubmitOptions,
    checkCallbackUrl?: (url: string) => Promise<void>,
  ): Promise<TaskRecord> {
    if (options.callbackUrl) await checkCallbackUrl?.(options.callbackUrl);
    return this.store.create({ id: newHexId(), type, appId, params, ...options }, this.now());
  }

  /**
   * Asks for a task's cancel: a queued one ends at once (told to the listeners); true when it
   * runs and its runner must be told; an ended one is refused.
   */
  async requestCancel(task: TaskRecord): Promise<boolean> {
    const result = await this.store.requestCancel(
      task.id,
      catalogFailure('taskCancelled'),
      this.now(),
    );
    if (result === 'signalled') return true;
    if (result === 'cancelled') {
      await this.endedNow(task.id);
      return false;
    }
    throw new AppError('taskAlreadyEnded', { taskId: task.id, status: task.status });
  }

  /** The task went back to the queue (shutdown): true; it ended, or was already ended: false. */
  async execute(task: TaskRecord, controller: AbortController): Promise<boolean> {
    const handler = this.handlers[task.type as keyof Payloads & string];
    const workDir = path.join(this.options.workRoot, task.id);
    const reporter = this.progressReporter(task.id);
    let outcome: TaskOutcome | 'release';
    try {
      await fs.mkdir(workDir, { recursive: true });
      const result = await handler({
        task,
        params: task.params as Payloads[keyof Payloads & string],
        signal: controller.signal,
        workDir,
        progress: reporter,
      });
      outcome = controller.signal.aborted
        ? this.abortedOutcome(controller)
        : { status: 'succeeded', result };
    } catch (error) {
      if (controller.signal.aborted && (isAbortError(error) || !isAppError(error))) {
        outcome = this.abortedOutcome(controller);
      } else if (isAppError(error)) {
        outcome = { status: 'failed', error: failureOf(error) };
      } else {
        this.log('error', 'task handler failed', {
          taskId: task.id,
          type: task.type,
          error: String(error),
        });
        // The work folder sits in the data directory, whose path a client must not read.
        const failure = unexpectedError(error, path.dirname(this.options.workRoot));
        outcome = { status: 'failed', error: failureOf(failure) };
      }
    } finally {
      await fs.rm(workDir, { recursive: true, force: true });
    }
    if (outcome === 'release') {
      await this.store.release(task.id, this.now());
      return true;
    }
    await this.end(task.id, outcome);
    return false;
  }

  /** Records a running task's outcome; its end is told once, by whoever recorded it. */
  async end(taskId: string, outcome: TaskOutcome): Promise<void> {
    if (await this.store.finish(taskId, outcome, this.now())) await this.endedNow(taskId);
  }

  /** Tells the listeners a task has ended (read back as it was recorded). */
  async endedNow(taskId: string): Promise<void> {
    const ended = await this.store.get(taskId);
    if (ended) this.emitEnded(ended);
  }

  private abortedOutcome(controller: AbortController): TaskOutcome | 'release' {
    return controller.signal.reason === shutdownReason
      ? 'release'
      : { status: 'cancelled', error: catalogFailure('taskCancelled') };
  }

  private progressReporter(taskId: string): (stage: string, percent: number) => void {
    const interval = this.options.progressIntervalMs ?? 250;
    let lastStage = '';
    let lastAt = 0;
    return (stage, percent) => {
      const now = this.now();
      if (stage === lastStage && now - lastAt < interval) return;
      lastStage = stage;
      lastAt = now;
      const clamped = Math.max(0, Math.min(99, percent));
      this.store.reportProgress(taskId, stage, clamped, now).catch((error: unknown) => {
        this.log('warn', 'progress update failed', { taskId, error: String(error) });
      });
    };
  }

  emitEnded(task: TaskRecord): void {
    for (const listener of this.endListeners) {
      try {
        listener(task);
      } catch (error) {
        this.log('error', 'task end listener failed', { taskId: task.id, error: String(error) });
      }
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string, fields?: object): void {
    this.options.log?.(level, message, fields);
  }
}
