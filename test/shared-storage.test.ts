import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AnimaClient } from '../sdk/client.js';
import { samplesDir } from '../src/util/paths.js';
import { bearer, startTestServer, tempDir, waitFor, type TestServer } from './helpers/harness.js';
import type { TestPostgres } from './helpers/postgres.js';
import type { TestRedis } from './helpers/redis.js';
import { startSharedServices, type SharedServices } from './helpers/shared-services.js';
import { testArea } from './helpers/test-tasks.js';

// Two instances sharing one Postgres (a real one, started here) and one S3-compatible bucket
// (s3rver: no S3-compatible product installs from Debian or npm here): what one accepted, the
// other answers for. Tokens, tasks, files and links are the database's and the bucket's, not an
// instance's.

const dir = tempDir('anima-shared-');
let services: SharedServices;
let postgres: TestPostgres;
let redis: TestRedis;
let shared: Record<string, string>;
const servers: TestServer[] = [];

before(async () => {
  services = await startSharedServices(dir);
  ({ postgres, redis } = services);
  shared = {
    ANIMA_DATABASE_URL: await postgres.database(),
    ANIMA_SECRET: 'a shared secret of at least thirty-two characters',
    ...services.s3.env,
  };
});
after(async () => {
  for (const server of servers) await server.close();
  await services.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(
  env: Record<string, string> = {},
): Promise<{ server: TestServer; base: string }> {
  const server = await startTestServer({ ...shared, ...env });
  servers.push(server);
  return { server, base: await server.listen() };
}

test('a second instance serves tokens, task queries and downloads for what the first accepted', async () => {
  const one = await start();
  const { appId, appKey, token } = await one.server.newApp('shared');
  const client = new AnimaClient(one.base, appId, appKey);
  await client.authenticate();
  const uploaded = await client.upload(path.join(samplesDir, 'video', 'grid_bbaf2n.mpg'));
  const created = await fetch(`${one.base}${testArea.prefix}/create`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'test.echo', params: { value: 'from one' } }),
  });
  const { data } = (await created.json()) as { data: { taskId: string } };

  const two = await start();
  const query = async (base: string) => {
    const response = await fetch(`${base}${testArea.prefix}/${data.taskId}`, {
      headers: bearer(token),
    });
    return (await response.json()) as { code: number; data: { status: string; result: unknown } };
  };
  const done = await waitFor(async () => {
    const answer = await query(two.base);
    return answer.data.status === 'succeeded' ? answer : undefined;
  });
  assert.deepEqual(
    done.data.result,
    { value: 'from one' },
    "the first's token works on the second",
  );

  // The sign exchange on the second answers within the same cap (the token the first issued).
  const other = new AnimaClient(two.base, appId, appKey);
  const grant = await other.authenticate();
  const listed = await fetch(`${two.base}${testArea.prefix}/list?page=1&size=10`, {
    headers: bearer(grant.accessToken),
  });
  assert.equal(listed.status, 200);

  // A link the first signed downloads from the second, by range too.
  const bytes = fs.readFileSync(path.join(samplesDir, 'video', 'grid_bbaf2n.mpg'));
  const link = uploaded.url.replace(one.base, two.base);
  const part = await fetch(link, { headers: { range: 'bytes=0-99' } });
  assert.equal(part.status, 206);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(0, 100)));
});

test('an API instance enqueues; a worker instance runs the task, and a cancel reaches it', async () => {
  // A database of their own: instances without Redis (the test above) claim queued tasks from
  // the database themselves, so every instance sharing one must use the same queue.
  const queue = {
    ANIMA_DATABASE_URL: await postgres.database(),
    ANIMA_REDIS_URL: redis.url,
    ANIMA_REDIS_PREFIX: 'roles',
  };
  const api = await start({ ...queue, ANIMA_ROLE: 'api' });
  const { token } = await api.server.newApp('roles');
  const submit = async (body: object) => {
    const response = await fetch(`${api.base}${testArea.prefix}/create`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return ((await response.json()) as { data: { taskId: string } }).data.taskId;
  };
  const status = async (taskId: string) => {
    const response = await fetch(`${api.base}${testArea.prefix}/${taskId}`, {
      headers: bearer(token),
    });
    return ((await response.json()) as { data: { status: string; stage: string } }).data;
  };
  const echo = await submit({ type: 'test.echo', params: { value: 'queued' } });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal((await status(echo)).status, 'queued', 'an API instance runs nothing');

  await start({ ...queue, ANIMA_ROLE: 'worker' });
  await waitFor(async () => ((await status(echo)).status === 'succeeded' ? true : undefined));
  const long = await submit({ type: 'test.ffmpeg', params: { seconds: 60 } });
  await waitFor(async () => ((await status(long)).stage === 'encode' ? true : undefined));
  const cancelled = await fetch(`${api.base}${testArea.prefix}/cancel`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ taskId: long }),
  });
  assert.equal(cancelled.status, 200);
  await waitFor(async () => ((await status(long)).status === 'cancelled' ? true : undefined));
});

test('while Postgres is away the API answers "unavailable" at once, and resumes without a restart', async () => {
  const alone = await start({ ANIMA_DATABASE_URL: await postgres.database() });
  const { token } = await alone.server.newApp('outage');
  const submit = () =>
    fetch(`${alone.base}${testArea.prefix}/create`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'test.echo', params: { value: 'kept' } }),
    });
  const accepted = ((await (await submit()).json()) as { data: { taskId: string } }).data.taskId;
  const query = () =>
    fetch(`${alone.base}${testArea.prefix}/${accepted}`, { headers: bearer(token) });
  await waitFor(async () => {
    const answer = (await (await query()).json()) as { data: { status: string } };
    return answer.data.status === 'succeeded' ? true : undefined;
  });
  postgres.pause();
  try {
    const asked = Date.now();
    const during = await query();
    assert.equal(during.status, 503);
    const body = (await during.json()) as { code: number; message: string };
    assert.deepEqual([body.code, body.message], [5004, 'the database is not answering']);
    assert.ok(Date.now() - asked < 6000, 'answered, not left hanging');
    assert.equal((await submit()).status, 503, 'a new task is refused, not half-accepted');
  } finally {
    postgres.resume();
  }
  const after = await waitFor(async () => {
    const answer = await query();
    return answer.status === 200
      ? ((await answer.json()) as { data: { status: string; result: unknown } })
      : undefined;
  });
  assert.deepEqual([after.data.status, after.data.result], ['succeeded', { value: 'kept' }]);
  const again = ((await (await submit()).json()) as { data: { taskId: string } }).data.taskId;
  await waitFor(async () => {
    const response = await fetch(`${alone.base}${testArea.prefix}/${again}`, {
      headers: bearer(token),
    });
    const answer = (await response.json()) as { data: { status: string } };
    return answer.data.status === 'succeeded' ? true : undefined;
  });
});

test('the rate limit is one count across API instances sharing Redis', async () => {
  const env = {
    ANIMA_DATABASE_URL: await postgres.database(),
    ANIMA_REDIS_URL: redis.url,
    ANIMA_REDIS_PREFIX: 'limits',
    ANIMA_RATE_LIMIT: '4',
  };
  const one = await start(env);
  const two = await start(env);
  const { token } = await one.server.newApp('limited');
  const statuses: number[] = [];
  for (let k = 0; k < 6; k++) {
    const base = k % 2 === 0 ? one.base : two.base;
    const response = await fetch(`${base}${testArea.prefix}/list?page=1&size=1`, {
      headers: bearer(token),
    });
    statuses.push(response.status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
});

test('a database that cannot be reached stops the start with one line naming it', async () => {
  await assert.rejects(
    startTestServer({ ANIMA_DATABASE_URL: 'postgres://anima:pw@127.0.0.1:9/anima' }),
    (error: Error) => {
      assert.match(
        error.message,
        /^the database \(postgres:\/\/anima:\*\*\*@127\.0\.0\.1:9\/anima\) cannot be used: .*ECONNREFUSED/,
      );
      return true;
    },
  );
});

test('while Redis is away an API instance still signs in, accepts, cancels and answers; the worker runs what it accepted once Redis is back', async () => {
  const queue = {
    ANIMA_DATABASE_URL: await postgres.database(),
    ANIMA_REDIS_URL: redis.url,
    ANIMA_REDIS_PREFIX: 'outage',
  };
  const api = await start({ ...queue, ANIMA_ROLE: 'api' });
  await start({ ...queue, ANIMA_ROLE: 'worker' });
  const { appId, appKey, token } = await api.server.newApp('redis-outage');
  const submit = () =>
    fetch(`${api.base}${testArea.prefix}/create`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'test.echo', params: { value: 'kept while away' } }),
    });
  const status = async (taskId: string) => {
    const response = await fetch(`${api.base}${testArea.prefix}/${taskId}`, {
      headers: bearer(token),
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { data: { status: string; stage: string; result: unknown } })
      .data;
  };
  const longCreated = await fetch(`${api.base}${testArea.prefix}/create`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'test.ffmpeg', params: { seconds: 60 } }),
  });
  const long = ((await longCreated.json()) as { data: { taskId: string } }).data.taskId;
  await waitFor(async () => ((await status(long)).stage === 'encode' ? true : undefined));
  await redis.stop();
  let accepted: string;
  try {
    // A cancel of a task running on the worker is recorded, and reaches it without Redis.
    const cancelled = await fetch(`${api.base}${testArea.prefix}/cancel`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ taskId: long }),
    });
    assert.equal(cancelled.status, 200);
    await waitFor(
      async () => ((await status(long)).status === 'cancelled' ? true : undefined),
      15_000,
      'the cancel read by the worker at its sweep',
    );
    const asked = Date.now();
    const client = new AnimaClient(api.base, appId, appKey);
    await client.authenticate();
    const response = await submit();
    assert.equal(response.status, 200, 'accepted: recorded, handed to Redis later');
    accepted = ((await response.json()) as { data: { taskId: string } }).data.taskId;
    assert.equal((await status(accepted)).status, 'queued');
    assert.ok(Date.now() - asked < 5000, 'answered, not left hanging');
  } finally {
    await redis.restart();
  }
  const done = await waitFor(
    async () => {
      const now = await status(accepted);
      return now.status === 'succeeded' ? now : undefined;
    },
    30_000,
    'the task accepted while Redis was away, run',
  );
  assert.deepEqual(done.result, { value: 'kept while away' });
});
