import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { openDatabase } from '../../src/storage/database.js';
import { openPostgres, type PgPool } from '../../src/storage/postgres.js';
import { PgTaskStore } from '../../src/tasks/pg-task.store.js';
import { SqliteTaskStore } from '../../src/tasks/sqlite-task.store.js';
import type { RecoveryFailures, TaskFailure, TaskStore } from '../../src/tasks/task.types.js';
import { tempDir } from '../helpers/harness.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

// One contract, two stores: SQLite on a real file (WAL, as the server opens it) and a real
// Postgres, each driven directly with no queue above it.

interface Backend {
  /** A store on an empty database of its own. */
  fresh: () => Promise<{
    store: TaskStore;
    /** Other connections claiming `type` at once until none is left: the ids each took. */
    race: (type: string) => Promise<string[][]>;
  }>;
}

const dir = tempDir('anima-store-');
let files = 0;
const sqlite: Backend = {
  fresh: () => {
    const file = path.join(dir, `tasks-${++files}.db`);
    const race = (type: string) => {
      const worker = () =>
        new Promise<string[]>((resolve, reject) => {
          const thread = new Worker(new URL('../helpers/claim-worker.js', import.meta.url), {
            workerData: { file, type },
          });
          thread.once('message', (ids: string[]) => resolve(ids));
          thread.once('error', reject);
        });
      return Promise.all([worker(), worker()]);
    };
    return Promise.resolve({ store: new SqliteTaskStore(openDatabase(file)), race });
  },
};

let server: TestPostgres | undefined;
const pools: PgPool[] = [];
const postgres: Backend = {
  fresh: async () => {
    if (!server) throw new Error('Postgres was not started');
    const url = await server.database();
    const pool = await openPostgres(url);
    pools.push(pool);
    const race = (type: string) =>
      Promise.all(
        // Four: with two, claims that are not locked collided too rarely to be seen.
        [1, 2, 3, 4].map(async () => {
          const own = await openPostgres(url, { max: 1 });
          pools.push(own);
          const other = new PgTaskStore(own);
          const ids: string[] = [];
          for (let n = 0; ; n++) {
            const task = await other.claimNext(type, 10_000 + n);
            if (!task) return ids;
            ids.push(task.id);
          }
        }),
      );
    return { store: new PgTaskStore(pool), race };
  },
};

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const cancelled: TaskFailure = { code: 2003, message: 'task was cancelled', fix: 'none' };
const failures: RecoveryFailures = {
  interrupted: (attempts) => ({ code: 5000, message: `stopped ${attempts} times`, fix: 'retry' }),
  cancelled,
};

const hex = (n: number) => n.toString(16).padStart(32, '0');

async function add(store: TaskStore, n: number, type: string, now: number, appId = 'app1') {
  return store.create({ id: hex(n), type, appId, params: { n } }, now);
}

for (const [name, backend] of [
  ['SQLite', sqlite],
  ['Postgres', postgres],
] as const) {
  describe(`the task store on ${name}`, () => {
    test('claims take the oldest queued task of the asked type, ties in insertion order', async () => {
      const { store } = await backend.fresh();
      await add(store, 1, 'video.create', 300);
      await add(store, 2, 'avatar.build', 100);
      await add(store, 3, 'video.create', 200);
      await add(store, 4, 'video.create', 200);
      const claimed = [];
      for (;;) {
        const task = await store.claimNext('video.create', 1000);
        if (!task) break;
        claimed.push(task);
      }
      assert.deepEqual(
        claimed.map((task) => task.id),
        [hex(3), hex(4), hex(1)],
      );
      for (const task of claimed) {
        assert.equal(task.status, 'running');
        assert.equal(task.attempts, 1);
        assert.equal(task.startedAt, 1000);
      }
      assert.equal((await store.get(hex(2)))?.status, 'queued', 'another type is left alone');
    });

    test('two connections racing to claim take every task exactly once', async () => {
      const { store, race } = await backend.fresh();
      const count = 300;
      for (let n = 1; n <= count; n++) await add(store, n, 'race', n);
      const all = (await race('race')).flat();
      assert.equal(all.length, count, `claimed ${all.length} times for ${count} tasks`);
      assert.equal(new Set(all).size, count, 'no task claimed twice');
      for (let n = 1; n <= count; n++) assert.equal((await store.get(hex(n)))?.attempts, 1);
    });

    test('a task ends once: progress only rises, finish ends only a running task', async () => {
      const { store } = await backend.fresh();
      await add(store, 1, 't', 10);
      await store.reportProgress(hex(1), 'early', 50, 11);
      assert.equal((await store.get(hex(1)))?.progress, 0, 'no progress while queued');
      await store.claimNext('t', 12);
      await store.reportProgress(hex(1), 'decode', 40.4, 13);
      await store.reportProgress(hex(1), 'encode', 30, 14);
      const mid = await store.get(hex(1));
      assert.deepEqual(
        [mid?.stage, mid?.progress],
        ['encode', 40],
        'the stage moves, progress holds',
      );
      assert.equal(
        await store.finish(hex(1), { status: 'succeeded', result: { ok: 1 } }, 20),
        true,
      );
      const done = await store.get(hex(1));
      assert.deepEqual(
        [done?.status, done?.progress, done?.result, done?.finishedAt],
        ['succeeded', 100, { ok: 1 }, 20],
      );
      const late = { status: 'failed', error: { code: 1, message: 'late', fix: '' } } as const;
      assert.equal(await store.finish(hex(1), late, 30), false, 'an ended task stays as it ended');
      assert.equal((await store.get(hex(1)))?.status, 'succeeded');
      assert.equal(await store.finish(hex(9), late, 30), false, 'a missing task is not finished');

      await add(store, 2, 't', 40);
      await store.claimNext('t', 41);
      await store.reportProgress(hex(2), 'decode', 30, 42);
      assert.equal(await store.finish(hex(2), late, 43), true);
      const failed = await store.get(hex(2));
      assert.deepEqual(
        [failed?.status, failed?.errorCode, failed?.errorMsg, failed?.progress, failed?.result],
        ['failed', 1, 'late', 30, null],
      );
    });

    test('cancel ends a queued task at once, flags a running one, and leaves ended ones', async () => {
      const { store } = await backend.fresh();
      await add(store, 1, 't', 1);
      await add(store, 2, 't', 2);
      assert.equal(await store.requestCancel(hex(1), cancelled, 5), 'cancelled');
      const queued = await store.get(hex(1));
      assert.deepEqual(
        [queued?.status, queued?.errorCode, queued?.finishedAt, queued?.cancelRequested],
        ['cancelled', 2003, 5, false],
      );
      const running = await store.claimNext('t', 6);
      assert.equal(running?.id, hex(2), 'a cancelled task is never claimed');
      assert.equal(await store.requestCancel(hex(2), cancelled, 7), 'signalled');
      const flagged = await store.get(hex(2));
      assert.deepEqual([flagged?.status, flagged?.cancelRequested], ['running', true]);
      // The worker sees the flag and ends it as cancelled.
      assert.equal(await store.finish(hex(2), { status: 'cancelled', error: cancelled }, 8), true);
      assert.equal(await store.requestCancel(hex(2), cancelled, 9), 'ended');
      assert.equal(await store.requestCancel(hex(1), cancelled, 9), 'ended');
      assert.equal(await store.requestCancel(hex(7), cancelled, 9), 'missing');
    });

    test('a named task is claimed while queued or running (its runner stopped), not once ended', async () => {
      const { store } = await backend.fresh();
      await add(store, 1, 't', 1);
      await add(store, 2, 't', 2);
      assert.deepEqual(await store.queuedBefore(3, 10), [
        { id: hex(1), type: 't' },
        { id: hex(2), type: 't' },
      ]);
      assert.deepEqual(await store.queuedBefore(2, 10), [{ id: hex(1), type: 't' }]);
      const first = await store.claim(hex(2), 5);
      assert.deepEqual([first?.status, first?.attempts, first?.startedAt], ['running', 1, 5]);
      assert.deepEqual(await store.queuedBefore(10, 10), [{ id: hex(1), type: 't' }]);
      const again = await store.claim(hex(2), 9);
      assert.deepEqual([again?.status, again?.attempts], ['running', 2], 'a second start counts');
      await store.finish(hex(2), { status: 'succeeded', result: {} }, 10);
      assert.equal(await store.claim(hex(2), 11), undefined, 'an ended task stays ended');
      assert.equal(await store.claim(hex(9), 11), undefined);
    });

    test('release puts a running task back without counting the start; delete removes it', async () => {
      const { store } = await backend.fresh();
      await add(store, 1, 't', 1);
      await store.claimNext('t', 2);
      await store.release(hex(1), 3);
      const back = await store.get(hex(1));
      assert.deepEqual([back?.status, back?.attempts], ['queued', 0]);
      assert.equal((await store.claimNext('t', 4))?.attempts, 1);
      assert.equal(await store.delete(hex(1)), true);
      assert.equal(await store.get(hex(1)), undefined);
      assert.equal(await store.delete(hex(1)), false);
      assert.equal(await store.claimNext('t', 5), undefined);
    });

    test('recovery re-queues interrupted tasks until their starts are used, and ends asked cancels', async () => {
      const { store } = await backend.fresh();
      for (let n = 1; n <= 4; n++) await add(store, n, 't', n);
      await add(store, 5, 't', 5);
      // Task 1 was interrupted once already, 2 and 4 start now; 3 is asked to cancel; 5 never runs.
      await store.claimNext('t', 10);
      await store.recoverInterrupted(3, failures, 10);
      for (let n = 1; n <= 4; n++) await store.claimNext('t', 11);
      await store.requestCancel(hex(3), cancelled, 12);
      await store.finish(hex(4), { status: 'succeeded', result: {} }, 13);
      assert.deepEqual(
        await Promise.all([1, 2, 3, 4, 5].map(async (n) => (await store.get(hex(n)))?.status)),
        ['running', 'running', 'running', 'succeeded', 'queued'],
      );
      assert.equal((await store.get(hex(1)))?.attempts, 2);

      const report = await store.recoverInterrupted(2, failures, 20);
      assert.deepEqual([...report.requeued].sort(), [hex(2)]);
      assert.deepEqual([...report.failed].sort(), [hex(1), hex(3)]);
      const [one, two, three, four, five] = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => store.get(hex(n))),
      );
      assert.deepEqual(
        [one?.status, one?.errorMsg, one?.finishedAt],
        ['failed', 'stopped 2 times', 20],
      );
      assert.deepEqual([two?.status, two?.attempts], ['queued', 1], 'its start still counts');
      assert.deepEqual([three?.status, three?.errorCode], ['cancelled', 2003]);
      assert.equal(four?.status, 'succeeded');
      assert.equal(five?.status, 'queued');
      const again = await store.recoverInterrupted(2, failures, 30);
      assert.deepEqual(again, { requeued: [], failed: [] }, 'nothing stays running');
    });

    test('listing pages an app own tasks of the asked types, newest first, with a total', async () => {
      const { store } = await backend.fresh();
      for (let n = 1; n <= 5; n++) await add(store, n, 'video.create', 100 + n);
      await add(store, 6, 'avatar.build', 200);
      await add(store, 7, 'video.create', 300, 'app2');
      // Same creation time: the later insert counts as newer.
      await add(store, 8, 'video.create', 105);
      await store.claimNext('video.create', 400);
      const ids = async (page: number, size: number, status?: 'queued' | 'running') => {
        const query = { appId: 'app1', types: ['video.create'], page, size };
        const result = await store.list(status ? { ...query, status } : query);
        return { ids: result.items.map((task) => task.id), total: result.total };
      };
      assert.deepEqual(await ids(1, 3), { ids: [hex(8), hex(5), hex(4)], total: 6 });
      assert.deepEqual(await ids(2, 3), { ids: [hex(3), hex(2), hex(1)], total: 6 });
      assert.deepEqual(await ids(3, 3), { ids: [], total: 6 });
      assert.deepEqual(await ids(1, 10, 'running'), { ids: [hex(1)], total: 1 });
      assert.deepEqual(await ids(1, 2, 'queued'), { ids: [hex(8), hex(5)], total: 5 });
      const both = await store.list({
        appId: 'app1',
        types: ['video.create', 'avatar.build'],
        page: 1,
        size: 1,
      });
      assert.deepEqual([both.items[0]?.id, both.total], [hex(6), 7]);
      const record = await store.get(hex(8));
      assert.deepEqual(
        [record?.type, record?.appId, record?.params, record?.callbackUrl, record?.userData],
        ['video.create', 'app1', { n: 8 }, null, null],
      );
    });
  });
}
