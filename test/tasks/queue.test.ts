import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorCatalog } from '../../src/errors/catalog.js';
import { openDatabase } from '../../src/storage/database.js';
import { BullTaskQueue } from '../../src/tasks/bull-queue.js';
import { SqliteTaskStore } from '../../src/tasks/sqlite-task.store.js';
import type { TaskHandlers } from '../../src/tasks/task.contract.js';
import { TaskQueue, type TaskQueueLike } from '../../src/tasks/task.queue.js';
import type { TaskRecord, TaskStore } from '../../src/tasks/task.types.js';
import { startBullWorkerProcess } from '../helpers/bull-worker-process.js';
import { tempDir, waitFor } from '../helpers/harness.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

// One contract, two queues: the in-process one, and BullMQ over a real Redis started here. Both
// keep their tasks in a real SQLite file.

type Payloads = {
  'q.hold': { n: number };
  'q.slow': { n: number };
};

const dir = tempDir('anima-queue-');
let redis: TestRedis;
const stops: (() => Promise<void>)[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const stop of stops.reverse()) await stop();
  await redis.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Tasks of `q.hold` wait until let go (or aborted); how many run at once is counted. */
function holding() {
  let running = 0;
  let most = 0;
  let release: () => void = () => undefined;
  let released = new Promise<void>((resolve) => (release = resolve));
  const handlers: TaskHandlers<Payloads> = {
    'q.hold': async ({ params, signal, progress }) => {
      running++;
      most = Math.max(most, running);
      progress('holding', 50);
      try {
        await new Promise<void>((resolve, reject) => {
          if (signal.aborted) reject(new Error('aborted'));
          signal.addEventListener('abort', () => reject(new Error('aborted')));
          void released.then(resolve);
        });
        return { n: params.n };
      } finally {
        running--;
      }
    },
    'q.slow': () => Promise.resolve({ done: true }),
  };
  return {
    handlers,
    most: () => most,
    running: () => running,
    letGo: () => {
      release();
      released = new Promise<void>((resolve) => (release = resolve));
    },
  };
}

let files = 0;
interface Made {
  store: TaskStore;
  /** The queue that runs tasks. */
  worker: TaskQueueLike<Payloads>;
  /** Where tasks are submitted and cancelled: the worker itself, or an API instance. */
  api: TaskQueueLike<Payloads>;
  dbFile: string;
  prefix?: string;
}

const common = (work: string) => ({
  workRoot: path.join(dir, work),
  concurrency: { 'q.hold': 2 },
  maxAttempts: 2,
  progressIntervalMs: 0,
  pollIntervalMs: 50,
});

const queues: [string, (handlers: TaskHandlers<Payloads>) => Promise<Made>][] = [
  [
    'in-process',
    async (handlers) => {
      const dbFile = path.join(dir, `q-${++files}.db`);
      const store = new SqliteTaskStore(openDatabase(dbFile));
      const queue = new TaskQueue(store, handlers, common(`work-${files}`));
      await queue.start();
      stops.push(() => queue.stop());
      return { store, worker: queue, api: queue, dbFile };
    },
  ],
  [
    'BullMQ',
    async (handlers) => {
      const dbFile = path.join(dir, `q-${++files}.db`);
      const store = new SqliteTaskStore(openDatabase(dbFile));
      // Each store its own keys in the one Redis: a worker of another test's store would take
      // this one's jobs and find no such task.
      const prefix = `test${files}`;
      const options = {
        ...common(`work-${files}`),
        redisUrl: redis.url,
        prefix,
        lockMs: 2000,
        sweepMs: 300,
      };
      const worker = new BullTaskQueue(store, handlers, { ...options, work: true });
      const api = new BullTaskQueue(store, handlers, { ...options, work: false });
      await worker.start();
      await api.start();
      stops.push(
        () => worker.stop(),
        () => api.stop(),
      );
      return { store, worker, api, dbFile, prefix };
    },
  ],
];

const until = (store: TaskStore, id: string, statuses: string[]) =>
  waitFor(
    async () => {
      const task = await store.get(id);
      return task && statuses.includes(task.status) ? task : undefined;
    },
    30_000,
    `task ${id} to reach ${statuses.join('/')}`,
  );

for (const [name, make] of queues) {
  describe(`the ${name} queue`, () => {
    test('runs every task once, at most the type concurrency at a time, progress in the store', async () => {
      const hold = holding();
      const { store, api } = await make(hold.handlers);
      const ended: TaskRecord[] = [];
      api.onEnded((task) => ended.push(task));
      const tasks = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => api.submit('q.hold', 'app1', { n })),
      );
      await waitFor(() => (hold.running() === 2 ? true : undefined));
      const running = await until(store, tasks[0]?.id ?? '', ['running']);
      await waitFor(async () =>
        (await store.get(running.id))?.stage === 'holding' ? true : undefined,
      );
      for (let round = 0; round < 3; round++) {
        hold.letGo();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const task of tasks) {
        const done = await until(store, task.id, ['succeeded']);
        assert.equal(done.attempts, 1);
        assert.deepEqual(done.result, { n: task.params.n });
      }
      assert.equal(hold.most(), 2, 'never more than the concurrency at once');
    });

    test('cancel ends a queued task at once and aborts a running one where it runs', async () => {
      const hold = holding();
      const { store, api } = await make(hold.handlers);
      const first = await api.submit('q.hold', 'app1', { n: 1 });
      await until(store, first.id, ['running']);
      await api.cancel((await store.get(first.id)) as TaskRecord);
      const cancelled = await until(store, first.id, ['cancelled']);
      assert.equal(cancelled.errorCode, errorCatalog.taskCancelled.code);
      assert.equal(hold.running(), 0, 'the handler was aborted');
      await assert.rejects(api.cancel(cancelled), /already/);
    });
  });
}

describe('the BullMQ queue, when things go away', () => {
  test('a Redis that cannot be reached at start stops it with one line naming it', async () => {
    const store = new SqliteTaskStore(openDatabase(path.join(dir, 'unreachable.db')));
    const queue = new BullTaskQueue(store, holding().handlers, {
      ...common('unreachable'),
      redisUrl: 'redis://user:pw@127.0.0.1:9',
      work: true,
      lockMs: 1000,
    });
    await assert.rejects(queue.recover(), (error: Error) => {
      assert.match(
        error.message,
        /^the queue's Redis \(redis:\/\/user:\*\*\*@127\.0\.0\.1:9\) cannot be used: .*ECONNREFUSED/,
      );
      return true;
    });
    await queue.stop();
  });

  test('a task accepted while Redis is down runs once Redis is back', async () => {
    const hold = holding();
    const { store, api } = await make('BullMQ', hold.handlers);
    await redis.stop();
    const started = Date.now();
    const task = await api.submit('q.slow', 'app1', { n: 1 });
    assert.ok(Date.now() - started < 5000, 'the submit did not wait for Redis');
    assert.equal((await store.get(task.id))?.status, 'queued', 'recorded, so not lost');
    await redis.restart();
    const done = await until(store, task.id, ['succeeded']);
    assert.equal(done.attempts, 1);
  });

  /**
   * A q.slow task started by a worker in a process of its own, which is then SIGKILLed; a worker
   * made here (allowing `maxAttempts` starts) is left to take it over. The task as it ended.
   */
  async function killMidTask(maxAttempts: number): Promise<TaskRecord> {
    const hold = holding();
    const { store, api, worker, dbFile, prefix } = await make('BullMQ', hold.handlers);
    // Only the worker killed here and, after it, the one made here take tasks.
    await worker.stop();
    await api.stop();
    const killed = await startBullWorkerProcess({
      dbFile,
      redisUrl: redis.url,
      workRoot: path.join(dir, `killed-${prefix}`),
      lockMs: 1000,
      prefix: prefix ?? '',
    });
    const options = {
      ...common(`taker-${prefix}`),
      maxAttempts,
      redisUrl: redis.url,
      ...(prefix ? { prefix } : {}),
      lockMs: 1000,
      sweepMs: 300,
    };
    const front = new BullTaskQueue(store, hold.handlers, { ...options, work: false });
    await front.start();
    stops.push(() => front.stop());
    const task = await front.submit('q.slow', 'app1', { n: 2 });
    await killed.started(task.id);
    killed.child.kill('SIGKILL');
    const taker = new BullTaskQueue(store, hold.handlers, { ...options, work: true });
    await taker.start();
    stops.push(() => taker.stop());
    return until(store, task.id, ['succeeded', 'failed']);
  }

  test('a worker killed mid-task: its task runs again on another worker, the start counted', async () => {
    const done = await killMidTask(2);
    assert.deepEqual([done.status, done.attempts, done.result], ['succeeded', 2, { done: true }]);
  });

  test('a worker killed mid-task: out of starts, its task fails saying why', async () => {
    const done = await killMidTask(1);
    assert.deepEqual([done.status, done.errorCode], ['failed', errorCatalog.taskInterrupted.code]);
    assert.match(done.errorMsg ?? '', /1/);
  });
});

async function make(name: string, handlers: TaskHandlers<Payloads>): Promise<Made> {
  const found = queues.find(([queueName]) => queueName === name);
  if (!found) throw new Error(name);
  return found[1](handlers);
}
