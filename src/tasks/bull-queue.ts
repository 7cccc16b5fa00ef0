/**
 * The queue over Redis (BullMQ), for API instances and workers on many machines
 * (`ANIMA_REDIS_URL`). The database keeps each task's record as ever; Redis carries a job per
 * task to whichever worker has room for its type. What BullMQ adds: a worker holds its tasks by a
 * lock it keeps renewing, so a worker that dies has its tasks run again elsewhere once its lock
 * lapses (or failed, with the reason, once out of starts); cancels are published to every worker.
 * What the database adds: a task accepted while Redis was away stays queued there and is handed
 * to Redis once it is back (a sweep every few seconds), so nothing accepted is lost; a cancel
 * recorded while Redis was away reaches its worker at that sweep too.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import fs from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';
import { unusable, withoutPassword } from '../util/url-text.js';
import type { SubmitOptions, TaskHandlers } from './task.contract.js';
import {
  cancelReason,
  catalogFailure,
  recoveryFailures,
  shutdownReason,
  TaskExecutor,
  type EndListener,
} from './task.executor.js';
import type { TaskQueueLike, TaskQueueOptions } from './task.queue.js';
import type { JsonObject, TaskRecord, TaskStore } from './task.types.js';

export interface BullQueueOptions extends TaskQueueOptions {
  readonly redisUrl: string;
  /** Run tasks here (a worker); false on an API instance, which only enqueues. */
  readonly work: boolean;
  /**
   * How long a worker's hold on a task lasts without renewal (renewed at half of it): a dead
   * worker's task runs again elsewhere after about this long.
   */
  readonly lockMs: number;
  /** How often queued tasks Redis may not have are handed to it. */
  readonly sweepMs?: number;
  /** Prefix of every Redis key (BullMQ's own is "bull"): deployments sharing a Redis differ by it. */
  readonly prefix?: string;
}

interface JobData {
  readonly taskId: string;
}

const queueName = (type: string) => `anima.${type}`;

/** Waits for a connection to be ready; fails at its first error or after `timeoutMs`. */
async function connected(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  if (redis.status === 'wait') void redis.connect().catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => settle(new Error(`no answer in ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onReady = () => settle();
    const onError = (error: Error) => settle(error);
    const settle = (error?: Error) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    redis.once('ready', onReady);
    redis.once('error', onError);
  });
}

export class BullTaskQueue<
  Payloads extends Record<string, object>,
> implements TaskQueueLike<Payloads> {
  private readonly executor: TaskExecutor<Payloads>;
  /** Commands that must not wait for a Redis that is away: they fail at once instead. */
  private readonly producer: Redis;
  private readonly queues = new Map<string, Queue<JobData>>();
  private readonly workers: Worker<JobData>[] = [];
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private subscriber: Redis | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;
  private recovered = false;

  constructor(
    private readonly store: TaskStore,
    handlers: TaskHandlers<Payloads>,
    private readonly options: BullQueueOptions,
  ) {
    this.executor = new TaskExecutor(store, handlers, options);
    this.producer = new Redis(options.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    // Errors while Redis is away are answered per call; the connection keeps retrying.
    this.producer.on('error', () => undefined);
    for (const type of this.types) {
      const queue = new Queue<JobData>(queueName(type), {
        connection: this.producer,
        prefix: this.prefix,
      });
      queue.on('error', () => undefined);
      this.queues.set(type, queue);
    }
  }

  get types(): readonly string[] {
    return this.executor.types;
  }

  private get prefix(): string {
    return this.options.prefix ?? 'anima';
  }

  private get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  private get now(): number {
    return this.executor.now();
  }

  onEnded(listener: EndListener): void {
    this.executor.onEnded(listener);
  }

  /** Checks Redis answers (one line naming it if not) and clears this machine's work folders. */
  async recover(): Promise<void> {
    if (this.recovered) return;
    this.recovered = true;
    try {
      await connected(this.producer, 5000);
      await this.producer.ping();
    } catch (error) {
      throw unusable("the queue's Redis", withoutPassword(this.options.redisUrl), error);
    }
    await fs.rm(this.options.workRoot, { recursive: true, force: true });
    await fs.mkdir(this.options.workRoot, { recursive: true });
  }

  async start(): Promise<void> {
    await this.recover();
    const subscriber = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, taskId: string) => {
      this.active.get(taskId)?.controller.abort(cancelReason);
    });
    await subscriber.subscribe(this.cancelChannel);
    this.subscriber = subscriber;
    if (this.options.work) {
      for (const type of this.types) {
        const worker = new Worker<JobData>(queueName(type), (job) => this.process(job), {
          connection: { url: this.options.redisUrl, maxRetriesPerRequest: null },
          prefix: this.prefix,
          concurrency: this.options.concurrency[type] ?? 1,
          lockDuration: this.options.lockMs,
          stalledInterval: Math.max(500, Math.floor(this.options.lockMs / 2)),
          // Starts are counted in the database, against ANIMA_TASK_MAX_ATTEMPTS.
          maxStalledCount: 1000,
        });
        worker.on('error', (error) =>
          this.options.log?.('warn', 'queue worker: Redis', { type, error: String(error) }),
        );
        this.workers.push(worker);
      }
    }
    const sweepMs = this.options.sweepMs ?? 5000;
    this.sweeper = setInterval(() => void this.handOver(sweepMs), sweepMs);
    this.sweeper.unref();
    await this.handOver(sweepMs);
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
    // Accepted once recorded: if Redis is away the sweep hands it over when it is back.
    await this.enqueue(task.id, type).catch((error: unknown) =>
      this.options.log?.('warn', 'task recorded; Redis will get it when it answers', {
        taskId: task.id,
        error: String(error),
      }),
    );
    return task;
  }

  /** Cancels a queued task at once, or aborts a running one wherever it runs. */
  async cancel(task: TaskRecord): Promise<void> {
    if (!(await this.executor.requestCancel(task))) return;
    const local = this.active.get(task.id);
    if (local) {
      local.controller.abort(cancelReason);
      return;
    }
    // Recorded above either way: with Redis away, the worker reads it at its next sweep.
    await this.producer.publish(this.cancelChannel, task.id).catch((error: unknown) =>
      this.options.log?.('warn', 'cancel recorded; its worker reads it at its next sweep', {
        taskId: task.id,
        error: String(error),
      }),
    );
  }

  /** Stops taking work; running tasks go back to the queue (and to Redis by the next sweep). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const pending = [...this.active.values()];
    for (const run of pending) run.controller.abort(shutdownReason);
    await Promise.all(pending.map((run) => run.done));
    // Forced: this queue's tasks have ended above, and a gentle close waits forever for a blocking
    // connection that a Redis outage left reconnecting (BullMQ issues 4585, 4656).
    await Promise.all(this.workers.map((worker) => worker.close(true)));
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.subscriber?.disconnect();
    this.producer.disconnect();
  }

  private async enqueue(taskId: string, type: string): Promise<void> {
    const queue = this.queues.get(type);
    if (!queue) throw new Error(`no queue for task type ${type}`);
    // The job id is the task's: adding it again while it waits or runs changes nothing.
    await queue.add(
      type,
      { taskId },
      { jobId: taskId, removeOnComplete: true, removeOnFail: true },
    );
  }

  /**
   * Queued tasks not touched for a while are (re)handed to Redis: lost on the way, or put back.
   * Tasks running here whose cancel was recorded but not heard (Redis away) are aborted.
   */
  private async handOver(olderThanMs: number): Promise<void> {
    if (this.stopping) return;
    try {
      for (const [taskId, run] of this.active) {
        if ((await this.store.get(taskId))?.cancelRequested) run.controller.abort(cancelReason);
      }
      const queued = await this.store.queuedBefore(this.now - olderThanMs, 200);
      for (const { id, type } of queued) await this.enqueue(id, type);
    } catch (error) {
      this.options.log?.('warn', 'queued tasks not handed to Redis yet', { error: String(error) });
    }
  }

  /** A job: its task claimed (or settled, if its last runner died out of starts) and run. */
  private async process(job: Job<JobData>): Promise<void> {
    const { taskId } = job.data;
    const before = await this.store.get(taskId);
    if (!before || (before.status !== 'queued' && before.status !== 'running')) return;
    if (before.status === 'running') {
      // Its worker stopped without ending it: cancel what was asked, give up past the starts.
      if (before.cancelRequested) {
        await this.executor.end(taskId, {
          status: 'cancelled',
          error: catalogFailure('taskCancelled'),
        });
        return;
      }
      if (before.attempts >= this.options.maxAttempts) {
        await this.executor.end(taskId, {
          status: 'failed',
          error: recoveryFailures.interrupted(before.attempts),
        });
        return;
      }
      this.options.log?.('warn', 'task taken over from a worker that stopped', { taskId });
    }
    const task = await this.store.claim(taskId, this.now);
    if (!task) return;
    const controller = new AbortController();
    const done = this.executor.execute(task, controller).then(() => undefined);
    this.active.set(taskId, { controller, done });
    try {
      await done;
    } finally {
      this.active.delete(taskId);
    }
  }
}
