import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../errors/app-error.js';
import { errorCatalog, formatMessage } from '../errors/catalog.js';
import { unexpectedError } from '../errors/unexpected.js';
import { isAbortError } from '../media/process.runner.js';
import { newHexId } from '../util/ids.js';
import type { SubmitOptions, TaskHandlers, TaskSubmitter } from './task.contract.js';
import type { JsonObject, TaskFailure, TaskOutcome, TaskRecord, TaskStore } from './task.types.js';

export interface TaskQueueOptions {
  readonly workRoot: string;
  readonly concurrency: Readonly<Record<string, number>>;
  readonly maxAttempts: number;
  readonly pollIntervalMs?: number;
  readonly progressIntervalMs?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;
  readonly now?: () => number;
  /** Refuses a callback URL at submit that delivery would refuse (see checkUrlTarget). */
  readonly checkCallbackUrl?: (url: string) => Promise<void>;
}

type EndListener = (task: TaskRecord) => void;

function failureOf(error: AppError): TaskFailure {
  return { code: error.code, message: error.message, fix: error.fix };
}

function catalogFailure(
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

const cancelReason = 'cancel';
const shutdownReason = 'shutdown';

/**
 * The in-process queue and worker pool: claims queued tasks from the store, runs them with a
 * per-type concurrency, reports progress, delivers cancellation through an AbortSignal, and
 * recovers tasks a crash left running.
 */
export class TaskQueue<Payloads extends Record<string, object>> implements TaskSubmitter<Payloads> {
  private readonly running = new Map<string, number>();
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly endListeners: EndListener[] = [];
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private stopping = false;
  /** No task is claimed before start-up recovery has run, or recovery could re-queue it. */
  private started = false;
  private recovered = false;

  constructor(
    private readonly store: TaskStore,
    private readonly handlers: TaskHandlers<Payloads>,
    private readonly options: TaskQueueOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get types(): readonly string[] {
    return Object.keys(this.handlers);
  }

  onEnded(listener: EndListener): void {
    this.endListeners.push(listener);
  }

  /**
   * Settles what a crash left running (re-queued, or failed once out of starts) without claiming
   * anything: the server runs it before it answers, so no answer shows a task nobody runs.
   */
  async recover(): Promise<void> {
    if (this.recovered) return;
    this.recovered = true;
    await fs.rm(this.options.workRoot, { recursive: true, force: true });
    await fs.mkdir(this.options.workRoot, { recursive: true });
    const report = await this.store.recoverInterrupted(
      this.options.maxAttempts,
      {
        interrupted: (attempts) => failureOf(new AppError('taskInterrupted', { attempts })),
        cancelled: catalogFailure('taskCancelled'),
      },
      this.now(),
    );
    if (report.requeued.length > 0 || report.failed.length > 0) {
      this.log('warn', 'recovered tasks interrupted by a restart', report);
    }
    for (const id of report.failed) {
      const task = await this.store.get(id);
      if (task) this.emitEnded(task);
    }
  }

  /** Starts taking work (recovering first, if that has not run). */
  async start(): Promise<void> {
    await this.recover();
    this.started = true;
    this.timer = setInterval(() => this.pump(), this.options.pollIntervalMs ?? 1000);
    this.timer.unref();
    this.pump();
  }

  async submit<K extends keyof Payloads & string>(
    type: K,
    appId: string,
    params: Payloads[K],
    options: SubmitOptions = {},
  ): Promise<TaskRecord> {
    if (this.stopping) throw new AppError('shuttingDown');
    if (options.callbackUrl) await this.options.checkCallbackUrl?.(options.callbackUrl);
    const task = await this.store.create(
      { id: newHexId(), type, appId, params: params as JsonObject, ...options },
      this.now(),
    );
    this.pump();
    return task;
  }

  /** Cancels a queued task at once, or aborts a running one (its child processes included). */
  async cancel(task: TaskRecord): Promise<void> {
    const result = await this.store.requestCancel(
      task.id,
      catalogFailure('taskCancelled'),
      this.now(),
    );
    if (result === 'cancelled') {
      const ended = await this.store.get(task.id);
      if (ended) this.emitEnded(ended);
    } else if (result === 'signalled') {
      this.active.get(task.id)?.controller.abort(cancelReason);
    } else {
      throw new AppError('taskAlreadyEnded', { taskId: task.id, status: task.status });
    }
  }

  /** Stops taking work, aborts running handlers and puts their tasks back in the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    const pending = [...this.active.values()];
    for (const run of pending) run.controller.abort(shutdownReason);
    await Promise.all(pending.map((run) => run.done));
  }

  private pump(): void {
    if (this.stopping || !this.started) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.fill()
      .catch((error: unknown) => this.log('error', 'queue pump failed', { error: String(error) }))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.pump();
        }
      });
  }

  private async fill(): Promise<void> {
    for (const type of this.types) {
      const limit = this.options.concurrency[type] ?? 1;
      while (!this.stopping && (this.running.get(type) ?? 0) < limit) {
        const task = await this.store.claimNext(type, this.now());
        if (!task) break;
        this.running.set(type, (this.running.get(type) ?? 0) + 1);
        const controller = new AbortController();
        const done = this.execute(task, controller).finally(() => {
          this.active.delete(task.id);
          this.running.set(type, (this.running.get(type) ?? 1) - 1);
          this.pump();
        });
        this.active.set(task.id, { controller, done });
      }
    }
  }

  private async execute(task: TaskRecord, controller: AbortController): Promise<void> {
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
      return;
    }
    if (await this.store.finish(task.id, outcome, this.now())) {
      const ended = await this.store.get(task.id);
      if (ended) this.emitEnded(ended);
    }
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

  private emitEnded(task: TaskRecord): void {
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
