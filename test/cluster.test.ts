import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { AnimaClient } from '../sdk/client.js';
import { tempDir, waitFor } from './helpers/harness.js';
import { startSharedServices, type SharedServices } from './helpers/shared-services.js';
import {
  createAppWithCli,
  startServerProcess,
  stopProcess,
  type ServerProcess,
} from './helpers/server-process.js';
import { testArea } from './helpers/test-tasks.js';

// A cluster on one machine: one API instance and two workers, each its own process of the real
// server, over a real Postgres and Redis (started here) and an S3-compatible bucket (s3rver, an S3
// server for tests from npm: no S3-compatible product installs from Debian or npm here). One
// worker is SIGKILLed while it runs tasks.

const dir = tempDir('anima-cluster-');
const journal = path.join(dir, 'completed.txt');
let services: SharedServices;
let shared: Record<string, string>;
const processes: ServerProcess[] = [];

before(async () => {
  services = await startSharedServices(dir);
  shared = {
    ANIMA_DATABASE_URL: await services.postgres.database(),
    ANIMA_REDIS_URL: services.redis.url,
    ANIMA_SECRET: 'one secret for the whole cluster, 32+ chars',
    ...services.s3.env,
    ANIMA_PORT: '0',
    ANIMA_LOG_LEVEL: 'warn',
    ANIMA_TASK_MAX_ATTEMPTS: '3',
    ANIMA_QUEUE_LOCK_SECONDS: '2',
    ANIMA_CONCURRENCY: 'test.ffmpeg=2',
    ANIMA_TEST_JOURNAL: journal,
    ANIMA_RATE_LIMIT: '100000',
  };
});
after(async () => {
  for (const server of processes) await stopProcess(server.child, 'SIGKILL');
  await services.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function instance(role: string, name: string): Promise<ServerProcess> {
  const server = await startServerProcess('dist/test/helpers/crash-server.js', {
    ...shared,
    ANIMA_ROLE: role,
    ANIMA_DATA: path.join(dir, name),
  });
  processes.push(server);
  return server;
}

interface TaskAnswer {
  readonly taskId: string;
  readonly status: string;
  readonly errorCode?: number;
  readonly errorMsg?: string;
}

test('20 tasks over 1 API and 2 workers; one worker SIGKILLed mid-task: every task ends once', async () => {
  const api = await instance('api', 'api');
  const workers = [await instance('worker', 'w1'), await instance('worker', 'w2')];
  // Apps live in the database: made by the CLI on any machine given its URL.
  const created = createAppWithCli(path.join(dir, 'cli'), 'cluster', {
    ANIMA_DATABASE_URL: shared.ANIMA_DATABASE_URL ?? '',
  });
  const client = new AnimaClient(api.url, created.appId, created.appKey);
  const submit = async (type: string, params: object) =>
    (await client.call<{ taskId: string }>('POST', `${testArea.prefix}/create`, { type, params }))
      .taskId;
  const kinds = ['test.ffmpeg', 'test.ffmpeg', 'test.echo', 'test.fail'] as const;
  const ids: { id: string; type: string }[] = [];
  for (let k = 0; k < 20; k++) {
    const type = kinds[k % kinds.length] ?? 'test.echo';
    const params =
      type === 'test.ffmpeg'
        ? { seconds: 2 + (k % 3) }
        : type === 'test.fail'
          ? { fileName: `clip-${k}.mpg` }
          : { value: `v${k}` };
    ids.push({ id: await submit(type, params), type });
  }

  // Kill a worker while it runs tasks: wait until some task is past its start.
  await waitFor(async () => {
    for (const { id, type } of ids) {
      if (type !== 'test.ffmpeg') continue;
      const answer = await client.call<{ status: string; progress: number }>(
        'GET',
        `${testArea.prefix}/${id}`,
        undefined,
      );
      if (answer.status === 'running' && answer.progress > 0) return true;
    }
    return undefined;
  });
  const victim = workers[0];
  assert.ok(victim);
  await stopProcess(victim.child, 'SIGKILL');

  // The API answers throughout (every poll below is answered); every task ends.
  const all = async () =>
    (
      await client.call<{ items: TaskAnswer[] }>(
        'GET',
        `${testArea.prefix}/list?page=1&size=50`,
        undefined,
      )
    ).items;
  const ended = await waitFor(
    async () => {
      const answers = await all();
      return answers.length === ids.length &&
        answers.every((answer) => ['succeeded', 'failed', 'cancelled'].includes(answer.status))
        ? new Map(answers.map((answer) => [answer.taskId, answer]))
        : undefined;
    },
    120_000,
    'every task to end',
  );
  // The kill cut tasks off mid-run: they were started again (the database counts starts).
  const database = new pg.Client({ connectionString: shared.ANIMA_DATABASE_URL });
  await database.connect();
  const { rows } = await database
    .query<{ n: string }>('SELECT COUNT(*) AS n FROM tasks WHERE attempts > 1')
    .finally(() => database.end());
  assert.ok(Number(rows[0]?.n) >= 1, 'some task was taken over from the killed worker');
  const completions = fs.readFileSync(journal, 'utf8').trim().split('\n');
  const counted = new Map<string, number>();
  for (const id of completions) counted.set(id, (counted.get(id) ?? 0) + 1);
  for (const { id, type } of ids) {
    const answer = ended.get(id);
    assert.ok(answer, id);
    if (type === 'test.fail') {
      assert.equal(answer.status, 'failed', `${id} fails as its handler does`);
      assert.equal(answer.errorCode, 6007);
      continue;
    }
    // Succeeded after a re-run, or failed saying why (out of starts).
    if (answer.status === 'failed') assert.equal(answer.errorCode, 2101, JSON.stringify(answer));
    else assert.equal(answer.status, 'succeeded', JSON.stringify(answer));
    assert.ok(
      (counted.get(id) ?? 0) === (answer.status === 'succeeded' ? 1 : 0),
      `${id} ran to completion ${counted.get(id) ?? 0} times`,
    );
  }
});
