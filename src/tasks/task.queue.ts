import fs from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';
import type { SubmitOptions, TaskHandlers, TaskSubmitter } from './task.contract.js';
import {
  cancelReason,
  recoveryFailures,
  shutdownReason,
  TaskExecutor,
  type EndListener,
  type TaskExecutorOptions,
} from './task.executor.js';
import type { JsonObject, TaskRecord, TaskStore } from './task.types.js';

export interface TaskQueueOptions extends TaskExecutorOptions {
  readonly concurrency: Readonly<Record<string, number>>;
  readonly maxAttempts: number;
  readonly pollIntervalMs?: number;
  /** Refuses a callback URL at submit that delivery would refuse (see checkUrlTarget). */
  readonly checkCallbackUrl?: (url: string) => Promise<void>;
}

/** What the server asks of a queue, whichever it is (in-process, or BullMQ over Redis). */
export interface TaskQueueLike<
  Payloads extends Record<string, object>,
> extends TaskSubmitter<Payloads> {
  readonly types: readonly string[];
  onEnded(listener: EndListener): void;
  recover(): Promise<void>;
  start(): Promise<void>;
  cancel(task: TaskRecord): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The in-process queue and worker pool: claims queued tasks from the store, runs them with a
 * per-type concurrency, reports progress, delivers cancellation through an AbortSignal, and
 * recovers tasks a crash left running.
 */
export class TaskQueue<Payloads extends Record<string, object>> implements TaskQueueLike<Payloads> {
  private readonly running = new Map<string, number>();
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly executor: TaskExecutor<Payloads>;
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
    handlers: TaskHandlers<Payloads>,
    private readonly options: TaskQueueOptions,
  ) {
    this.executor = new TaskExecutor(store, handlers, options);
    this.now = this.executor.now;
  }

  get types(): readonly string[] {
    return this.executor.types;
  }

  onEnded(listener: EndListener): void {
    this.executor.onEnded(listener);
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
      recoveryFailures,
      this.now(),
    );
    if (report.requeued.length > 0 || report.failed.length > 0) {
      this.options.log?.('warn', 'recovered tasks interrupted by a restart', report);
    }
    for (const id of report.failed) await this.executor.endedNow(id);
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
    const task = await this.executor.record(
      type,
      appId,
      params as JsonObject,
      options,
      this.options.checkCallbackUrl,
    );
    this.pump();
    return task;
  }

  /** Cancels a queued task at once, or aborts a running one (its child processes included). */
  async cancel(task: TaskRecord): Promise<void> {
    if (await this.executor.requestCancel(task)) {
      this.active.get(task.id)?.controller.abort(cancelReason);
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
      .catch((error: unknown) =>
        this.options.log?.('error', 'queue pump failed', { error: String(error) }),
      )
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
        const done = this.executor
          .execute(task, controller)
          .then(() => undefined)
          .finally(() => {
            this.active.delete(task.id);
            this.running.set(type, (this.running.get(type) ?? 1) - 1);
            this.pump();
          });
        this.active.set(task.id, { controller, done });
      }
    }
  }
}
