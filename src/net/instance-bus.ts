/**
 * Requests between instances sharing a Redis, answered by the instance they are addressed to:
 * how an API instance reaches a live session that a worker runs. Each instance listens on its own
 * channel (Redis pub/sub); a request names its asker, whose channel the answer comes back on. A
 * request that no instance listens for (the instance is gone), that Redis does not take (it is
 * away) or that is not answered in time fails with BusUnreachable, never by hanging.
 */
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppError, isAppError, type FieldProblem } from '../errors/app-error.js';
import type { ErrorKey } from '../errors/catalog.js';

/** What an instance does for a method asked of it; its answer must be JSON. */
export type BusHandler = (body: unknown) => unknown;

export interface InstanceBus {
  /** The instance this one is: requests addressed to it are answered here, without Redis. */
  readonly instanceId: string;
  /** Asks instance `to` to do `method`: its answer, its AppError, or BusUnreachable. */
  ask<T>(to: string, method: string, body: unknown, timeoutMs?: number): Promise<T>;
  /** Answers `method` for instances asking this one. */
  answer(method: string, handler: BusHandler): void;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The instance asked could not be reached: gone, Redis away, or no answer in time. */
export class BusUnreachable extends Error {
  constructor(
    readonly instanceId: string,
    readonly why: string,
  ) {
    super(`instance ${instanceId} not reached: ${why}`);
    this.name = 'BusUnreachable';
  }
}

interface Ask {
  readonly kind: 'ask';
  readonly id: string;
  readonly from: string;
  readonly method: string;
  readonly body: unknown;
}

/** An AppError as it crosses: its key, values and field problems. */
interface CarriedError {
  readonly key?: ErrorKey;
  readonly params?: Record<string, unknown>;
  readonly detail?: readonly FieldProblem[];
  readonly message: string;
}

interface Answer {
  readonly kind: 'answer';
  readonly id: string;
  readonly value?: unknown;
  readonly error?: CarriedError;
}

interface Pending {
  readonly to: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const defaultTimeoutMs = 10_000;

function carried(error: unknown): CarriedError {
  if (isAppError(error)) {
    return {
      key: error.key,
      params: { ...error.params },
      ...(error.detail ? { detail: error.detail } : {}),
      message: error.message,
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function rebuilt(error: CarriedError): Error {
  if (!error.key) return new Error(error.message);
  return new AppError(error.key, error.params ?? {}, error.detail ? { detail: error.detail } : {});
}

export class RedisBus implements InstanceBus {
  private readonly handlers = new Map<string, BusHandler>();
  private readonly pending = new Map<string, Pending>();
  /** Publishes; fails at once while Redis is away rather than queueing. */
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  constructor(
    redisUrl: string,
    private readonly prefix: string,
    readonly instanceId: string,
    private readonly log?: (level: 'warn', message: string, fields?: object) => void,
  ) {
    this.publisher = new Redis(redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    this.publisher.on('error', () => undefined);
    this.subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, text: string) => this.take(text));
  }

  private channel(instanceId: string): string {
    return `${this.prefix}:bus:${instanceId}`;
  }

  async start(): Promise<void> {
    await this.publisher.connect();
    await this.subscriber.connect();
    await this.subscriber.subscribe(this.channel(this.instanceId));
  }

  answer(method: string, handler: BusHandler): void {
    this.handlers.set(method, handler);
  }

  async ask<T>(
    to: string,
    method: string,
    body: unknown,
    timeoutMs = defaultTimeoutMs,
  ): Promise<T> {
    if (to === this.instanceId) return (await this.run(method, body)) as T;
    const id = randomUUID();
    const answered = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BusUnreachable(to, `no answer in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { to, resolve, reject, timer });
    });
    const message: Ask = { kind: 'ask', id, from: this.instanceId, method, body };
    let listeners: number;
    try {
      listeners = await this.publisher.publish(this.channel(to), JSON.stringify(message));
    } catch (error) {
      this.settle(id, undefined, new BusUnreachable(to, `Redis: ${String(error)}`));
      return (await answered) as T;
    }
    if (listeners === 0) this.settle(id, undefined, new BusUnreachable(to, 'it is not listening'));
    return (await answered) as T;
  }

  close(): Promise<void> {
    for (const [id, pending] of this.pending) {
      this.settle(id, undefined, new BusUnreachable(pending.to, 'this instance is stopping'));
    }
    this.subscriber.disconnect();
    this.publisher.disconnect();
    return Promise.resolve();
  }

  private async run(method: string, body: unknown): Promise<unknown> {
    const handler = this.handlers.get(method);
    if (!handler) throw new Error(`no handler for ${method} on instance ${this.instanceId}`);
    return await handler(body);
  }

  private take(text: string): void {
    let message: Ask | Answer;
    try {
      message = JSON.parse(text) as Ask | Answer;
    } catch {
      return;
    }
    if (message.kind === 'answer') {
      this.settle(message.id, message.value, message.error ? rebuilt(message.error) : undefined);
      return;
    }
    void this.reply(message);
  }

  private async reply(ask: Ask): Promise<void> {
    let answer: Answer;
    try {
      answer = { kind: 'answer', id: ask.id, value: await this.run(ask.method, ask.body) };
    } catch (error) {
      answer = { kind: 'answer', id: ask.id, error: carried(error) };
    }
    await this.publisher.publish(this.channel(ask.from), JSON.stringify(answer)).catch((error) =>
      this.log?.('warn', 'an answer to another instance was not sent', {
        method: ask.method,
        to: ask.from,
        error: String(error),
      }),
    );
  }

  private settle(id: string, value: unknown, error: Error | undefined): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(value);
  }
}
