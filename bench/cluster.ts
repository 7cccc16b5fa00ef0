/**
 * bench/cluster: what scaling out costs and gives, on this machine.
 *
 * 1. Task submit and query throughput: one instance on SQLite (the default), one API instance on
 *    Postgres with the BullMQ queue, and two API instances sharing them (loaded at once), beside a
 *    bare Fastify route (the ceiling of an HTTP server on this machine in the same run). Servers
 *    are processes of their own; the load generator (autocannon) runs here, on the same cores.
 * 2. The queue's overhead per task: from a task's record (created) to its handler's start, for
 *    the in-process queue and for BullMQ, tasks submitted at a steady 20 a second.
 * 3. A dead worker: SIGKILLed while it runs a task; the time until another worker starts it,
 *    for a lock of 2 s and for the default 30 s.
 * 4. The instance bus (how a push, a query or an HLS segment asked of an API instance reaches the
 *    worker running the live session): one ask answered by another instance, small and with a
 *    segment's bytes, beside a Redis PING (one round trip, the floor; an ask takes two).
 *
 *   npm run bench:cluster [-- --seconds 5 --connections 10]
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { AnimaClient } from '../sdk/client.js';
import { RedisBus } from '../src/net/instance-bus.js';
import { openDatabase } from '../src/storage/database.js';
import { BullTaskQueue } from '../src/tasks/bull-queue.js';
import { SqliteTaskStore } from '../src/tasks/sqlite-task.store.js';
import { startBullWorkerProcess } from '../test/helpers/bull-worker-process.js';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { startRedis, type TestRedis } from '../test/helpers/redis.js';
import {
  createAppWithCli,
  startServerProcess,
  stopProcess,
} from '../test/helpers/server-process.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const children: ChildProcess[] = [];
const write = (text: string) => process.stdout.write(text);

async function server(env: Record<string, string>): Promise<string> {
  const started = await startServerProcess('dist/test/helpers/crash-server.js', {
    ANIMA_PORT: '0',
    ANIMA_LOG_LEVEL: 'warn',
    ANIMA_RATE_LIMIT: '1000000000',
    ANIMA_CONCURRENCY: 'test.echo=4',
    ...env,
  });
  children.push(started.child);
  return started.url;
}

/**
 * Requests a second over every base URL loaded at once (each with `connections` connections),
 * at `route` on each.
 */
async function load(
  bases: readonly string[],
  route: string,
  options: Omit<autocannon.Options, 'url'> = {},
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const results = await Promise.all(
    bases.map((base) =>
      autocannon({ connections, duration: seconds, ...options, url: `${base}${route}` }),
    ),
  );
  return {
    rps: results.reduce((sum, result) => sum + result.requests.average, 0),
    p50: Math.max(...results.map((result) => result.latency.p50)),
    p99: Math.max(...results.map((result) => result.latency.p99)),
    errors: results.reduce(
      (sum, result) => sum + result.non2xx + result.errors + result.timeouts,
      0,
    ),
  };
}

interface Setup {
  readonly name: string;
  readonly apis: readonly string[];
  readonly appId: string;
  readonly appKey: string;
  /** Reads the tasks' created and started times, milliseconds. */
  readonly times: () => Promise<{ created: number; started: number }[]>;
}

async function throughput(setups: readonly Setup[], ceiling: string): Promise<void> {
  write(
    '| instances | route | req/s | p50 ms | p99 ms | of ceiling | non-2xx/errors |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n',
  );
  const bare = await load([ceiling], '/constant');
  write(
    `| bare Fastify (ceiling) | constant | ${bare.rps.toFixed(0)} | ${bare.p50} | ${bare.p99} | 100% | ${bare.errors} |\n`,
  );
  for (const setup of setups) {
    const client = new AnimaClient(setup.apis[0] ?? '', setup.appId, setup.appKey);
    await client.authenticate();
    const headers = {
      authorization: `Bearer ${client.accessToken ?? ''}`,
      'content-type': 'application/json',
    };
    const { taskId } = await client.call<{ taskId: string }>('POST', '/api/test/v1/task/create', {
      type: 'test.echo',
      params: { value: 'x' },
    });
    await load(setup.apis, `/api/test/v1/task/${taskId}`, { headers, duration: 1 });
    const rows = [
      ['task query', await load(setup.apis, `/api/test/v1/task/${taskId}`, { headers })],
      [
        'task submit',
        await load(setup.apis, '/api/test/v1/task/create', {
          method: 'POST',
          headers,
          body: JSON.stringify({ type: 'test.echo', params: { value: 'x' } }),
        }),
      ],
    ] as const;
    for (const [route, row] of rows) {
      write(
        `| ${setup.name} | ${route} | ${row.rps.toFixed(0)} | ${row.p50} | ${row.p99} | ` +
          `${((row.rps / bare.rps) * 100).toFixed(0)}% | ${row.errors} |\n`,
      );
    }
  }
}

/** Submits tasks at 20 a second and reads how long each waited to start. */
async function overhead(setup: Setup, count: number): Promise<string> {
  const client = new AnimaClient(setup.apis[0] ?? '', setup.appId, setup.appKey);
  await client.authenticate();
  const before = (await setup.times()).length;
  for (let k = 0; k < count; k++) {
    await client.call('POST', '/api/test/v1/task/create', {
      type: 'test.echo',
      params: { value: `o${k}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let times: { created: number; started: number }[] = [];
  for (let k = 0; k < 200; k++) {
    times = (await setup.times()).slice(before);
    if (times.length >= count && times.every((t) => t.started > 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const waits = times.map((t) => t.started - t.created);
  return `| ${setup.name} | ${waits.length} | ${percentile(waits, 0.5).toFixed(0)} | ${percentile(waits, 0.95).toFixed(0)} | ${Math.max(...waits).toFixed(0)} |\n`;
}

/** A worker process SIGKILLed mid-task; how long until another worker starts the task. */
async function takeover(redis: TestRedis, dir: string, lockMs: number): Promise<number> {
  const dbFile = path.join(dir, `takeover-${lockMs}.db`);
  const store = new SqliteTaskStore(openDatabase(dbFile));
  const prefix = `takeover${lockMs}`;
  const killed = await startBullWorkerProcess({
    dbFile,
    redisUrl: redis.url,
    workRoot: path.join(dir, `killed-${lockMs}`),
    lockMs,
    prefix,
  });
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  let startedAgain = 0;
  const options = {
    workRoot: path.join(dir, `taker-${lockMs}`),
    concurrency: {},
    maxAttempts: 3,
    redisUrl: redis.url,
    prefix,
    lockMs,
    sweepMs: 1000,
  };
  const handlers = {
    'q.slow': () => {
      startedAgain = Date.now();
      return Promise.resolve({});
    },
  };
  const front = new BullTaskQueue(store, handlers, { ...options, work: false });
  await front.start();
  const task = await front.submit('q.slow', 'bench', {});
  await killed.started(task.id);
  const taker = new BullTaskQueue(store, handlers, { ...options, work: true });
  await taker.start();
  const killedAt = Date.now();
  killed.child.kill('SIGKILL');
  await until(() => startedAgain > 0);
  await taker.stop();
  await front.stop();
  return startedAgain - killedAt;
}

/** Milliseconds each of `count` calls took, one after another. */
async function timed(count: number, call: () => Promise<unknown>): Promise<number[]> {
  const spent: number[] = [];
  for (let k = 0; k < count; k++) {
    const start = performance.now();
    await call();
    spent.push(performance.now() - start);
  }
  return spent;
}

async function busRoundTrip(redis: TestRedis): Promise<void> {
  const asker = new RedisBus(redis.url, 'bench', 'api');
  const owner = new RedisBus(redis.url, 'bench', 'worker');
  // Above a one-second HLS segment at the live default (2,500 kb/s video and the sound: ~330 KB).
  const segment = Buffer.alloc(400_000, 7).toString('base64');
  owner.answer('live.describe', () => ({ state: 'live', speaking: false }));
  owner.answer('live.hls', () => ({ type: 'video/mp4', base64: segment }));
  const ping = new Redis(redis.url);
  try {
    await asker.start();
    await owner.start();
    const rows: [string, number[]][] = [
      ['Redis PING (one round trip)', await timed(500, () => ping.ping())],
      [
        'ask, small answer (a query, a push)',
        await timed(500, () => asker.ask('worker', 'live.describe', { id: 's' })),
      ],
      [
        'ask, 400 KB answer (an HLS segment)',
        await timed(100, () => asker.ask('worker', 'live.hls', { id: 's' })),
      ],
    ];
    write(
      '\n| instance bus, one at a time | calls | p50 ms | p95 ms |\n| --- | ---: | ---: | ---: |\n',
    );
    for (const [name, spent] of rows) {
      const ms = (q: number) => percentile(spent, q).toFixed(2);
      write(`| ${name} | ${spent.length} | ${ms(0.5)} | ${ms(0.95)} |\n`);
    }
  } finally {
    ping.disconnect();
    await asker.close();
    await owner.close();
  }
}

async function main(dir: string, postgres: TestPostgres, redis: TestRedis): Promise<void> {
  const ceiling = await startServerProcess('dist/bench/bare-server.js', {});
  children.push(ceiling.child);

  const sqliteDir = path.join(dir, 'sqlite');
  const sqliteApp = createAppWithCli(sqliteDir, 'bench');
  const sqliteUrl = await server({ ANIMA_DATA: sqliteDir });
  const sqlite: Setup = {
    ...sqliteApp,
    name: '1, SQLite, in-process queue',
    apis: [sqliteUrl],
    times: () => {
      const db = openDatabase(path.join(sqliteDir, 'anima.db'));
      try {
        const rows = db
          .prepare(
            "SELECT created_at AS created, COALESCE(started_at, 0) AS started FROM tasks WHERE type = 'test.echo' ORDER BY created_at, rowid",
          )
          .all() as { created: number; started: number }[];
        return Promise.resolve(rows);
      } finally {
        db.close();
      }
    },
  };

  const databaseUrl = await postgres.database();
  const shared = {
    ANIMA_DATABASE_URL: databaseUrl,
    ANIMA_REDIS_URL: redis.url,
    ANIMA_REDIS_PREFIX: 'bench',
    ANIMA_SECRET: 'the benchmark cluster secret, 32+ characters',
  };
  const clusterApp = createAppWithCli(path.join(dir, 'cli'), 'bench', {
    ANIMA_DATABASE_URL: databaseUrl,
  });
  const apiOne = await server({ ...shared, ANIMA_ROLE: 'api', ANIMA_DATA: path.join(dir, 'a1') });
  const apiTwo = await server({ ...shared, ANIMA_ROLE: 'api', ANIMA_DATA: path.join(dir, 'a2') });
  await server({ ...shared, ANIMA_ROLE: 'worker', ANIMA_DATA: path.join(dir, 'w1') });
  const times = async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ created: string; started: string }>(
        "SELECT created_at AS created, COALESCE(started_at, 0) AS started FROM tasks WHERE type = 'test.echo' ORDER BY created_at, seq",
      );
      return rows.map((row) => ({ created: Number(row.created), started: Number(row.started) }));
    } finally {
      await client.end();
    }
  };
  // The app's own fields first: its name is not the setup's.
  const oneApi: Setup = {
    ...clusterApp,
    name: '1 API + 1 worker, Postgres, BullMQ',
    apis: [apiOne],
    times,
  };
  const twoApis: Setup = {
    ...clusterApp,
    name: '2 API + 1 worker, Postgres, BullMQ',
    apis: [apiOne, apiTwo],
    times,
  };

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  write(
    `bench/cluster: ${seconds} s per route, ${connections} connections per instance, loopback, ` +
      `${os.cpus().length} cores (${cpu}); servers, Postgres, Redis and the load generator share them\n\n`,
  );
  // The queues' overhead first, on idle systems (the throughput runs leave thousands of tasks).
  write(
    '| queue (tasks at 20/s, idle system) | tasks | created → started p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |\n',
  );
  write(await overhead(sqlite, 100));
  write(await overhead(oneApi, 100));
  write('\n');
  await throughput([sqlite, oneApi, twoApis], ceiling.url);

  write('\n| worker SIGKILLed mid-task, lock | until another worker starts it |\n| --- | ---: |\n');
  for (const lockMs of [2000, 30_000]) {
    write(
      `| ${lockMs / 1000} s | ${((await takeover(redis, dir, lockMs)) / 1000).toFixed(1)} s |\n`,
    );
  }
  await busRoundTrip(redis);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-bench-cluster-'));
const postgres = await startPostgres();
const redis = await startRedis();
try {
  await main(dir, postgres, redis);
} finally {
  await Promise.all(children.map((child) => stopProcess(child)));
  await redis.close();
  postgres.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
