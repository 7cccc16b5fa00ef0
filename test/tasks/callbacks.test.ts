import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, test } from 'node:test';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { SqliteSql } from '../../src/storage/sql.js';
import { CallbackService, type CallbackOptions } from '../../src/tasks/callback.service.js';
import type { TaskRecord } from '../../src/tasks/task.types.js';
import { startOrigin, tempDir, waitFor } from '../helpers/harness.js';

// The callback service on a real database, POSTing to a real receiver on a loopback port. The
// clock is the test's: a retry falls due when the test moves time on, never by waiting.
const dir = tempDir('anima-callbacks-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const appKey = 'k'.repeat(32);
const loopback = { allowPrivate: false, allowHosts: ['127.0.0.1'] };

interface Received {
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** A receiver that answers each POST with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: readonly number[]) {
  const received: Received[] = [];
  const origin = await startOrigin((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ body, headers: request.headers });
      response.writeHead(statuses[received.length - 1] ?? statuses.at(-1) ?? 200).end();
    });
  });
  return { received, url: `${origin.url}/hook`, close: () => origin.server.close() };
}

let dbs = 0;
function service(options: Partial<CallbackOptions> = {}) {
  const clock = { now: 1_000_000 };
  const warnings: object[] = [];
  const db = openDatabase(path.join(dir, `callbacks-${++dbs}.db`));
  const keyOf = (appId: string) => Promise.resolve(appId === 'app1' ? appKey : undefined);
  const callbacks = new CallbackService(new SqliteSql(db), keyOf, {
    policy: loopback,
    maxAttempts: 4,
    timeoutMs: 5000,
    baseDelayMs: 1000,
    pollIntervalMs: 20,
    now: () => clock.now,
    log: (level, message, fields) => {
      if (level === 'warn') warnings.push({ message, ...fields });
    },
    ...options,
  });
  return { callbacks, clock, db, warnings };
}

function task(id: string, fields: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    type: 'video.create',
    appId: 'app1',
    params: {},
    status: 'succeeded',
    stage: 'done',
    progress: 100,
    errorCode: null,
    errorMsg: null,
    errorFix: null,
    result: { url: 'https://example.com/v.mp4' },
    callbackUrl: null,
    userData: 'order-42',
    attempts: 1,
    cancelRequested: false,
    createdAt: 10,
    updatedAt: 20,
    startedAt: 11,
    finishedAt: 20,
    ...fields,
  };
}

function nextAttemptAt(db: Db, taskId: string): number {
  const row = db
    .prepare('SELECT next_attempt_at AS at FROM callbacks WHERE task_id = ?')
    .get(taskId);
  return (row as { at: number }).at;
}

test('a callback is POSTed once, signed with the app key over "<timestamp>.<body>"', async () => {
  const hook = await receiver([204]);
  const { callbacks, clock } = service();
  try {
    clock.now = 1_234_567;
    await callbacks.enqueue(task('t1', { callbackUrl: hook.url }), null);
    const got = await waitFor(() => hook.received[0], 20_000, 'the callback');
    const body = JSON.parse(got.body) as Record<string, unknown>;
    assert.deepEqual(body, {
      taskId: 't1',
      type: 'video.create',
      status: 'succeeded',
      stage: 'done',
      progress: 100,
      errorCode: null,
      errorMsg: null,
      fix: null,
      result: { url: 'https://example.com/v.mp4' },
      attempts: 1,
      createdAt: 10,
      updatedAt: 20,
      startedAt: 11,
      finishedAt: 20,
      userData: 'order-42',
    });
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-anima-task-id'], 't1');
    assert.equal(got.headers['x-anima-timestamp'], '1234567');
    // What a receiver computes on its side, with nothing of ours but the key.
    const mac = createHmac('sha256', appKey).update(`1234567.${got.body}`).digest('hex');
    assert.equal(got.headers['x-anima-signature'], `sha256=${mac}`);
    await waitFor(async () =>
      (await callbacks.list('t1'))[0]?.status === 'delivered' ? true : undefined,
    );
    assert.deepEqual(await callbacks.list('t1'), [
      {
        id: 1,
        taskId: 't1',
        url: hook.url,
        status: 'delivered',
        attempts: 1,
        lastStatus: 204,
        lastError: null,
      },
    ]);
    // Time passing brings no second delivery: the next task's callback comes alone.
    clock.now += 3_600_000;
    await callbacks.enqueue(task('t2', { callbackUrl: hook.url }), null);
    await waitFor(async () =>
      (await callbacks.list('t2'))[0]?.status === 'delivered' ? true : undefined,
    );
    assert.deepEqual(
      hook.received.map((request) => request.headers['x-anima-task-id']),
      ['t1', 't2'],
    );
  } finally {
    await callbacks.stop();
    hook.close();
  }
});

test('the task URL wins over the app URL; with neither, nothing is recorded', async () => {
  const hook = await receiver([200]);
  const { callbacks } = service();
  // The poll picks up what arrives while a delivery is under way.
  callbacks.start();
  try {
    await callbacks.enqueue(task('own', { callbackUrl: `${hook.url}?own` }), `${hook.url}?app`);
    await callbacks.enqueue(task('app'), `${hook.url}?app`);
    await callbacks.enqueue(task('none'), null);
    await waitFor(() => (hook.received.length === 2 ? true : undefined));
    assert.deepEqual((await callbacks.list('own'))[0]?.url, `${hook.url}?own`);
    assert.deepEqual((await callbacks.list('app'))[0]?.url, `${hook.url}?app`);
    assert.deepEqual(await callbacks.list('none'), []);
  } finally {
    await callbacks.stop();
    hook.close();
  }
});

test('a refused delivery is retried after 1, 2, 4 base delays, each attempt recorded', async () => {
  const hook = await receiver([503, 500, 404, 204]);
  const { callbacks, clock, db } = service();
  callbacks.start();
  try {
    await callbacks.enqueue(task('t1', { callbackUrl: hook.url }), null);
    const expected = [
      { status: 503, delay: 1000 },
      { status: 500, delay: 2000 },
      { status: 404, delay: 4000 },
    ];
    for (const [index, { status, delay }] of expected.entries()) {
      const record = await waitFor(async () => {
        const found = (await callbacks.list('t1'))[0];
        return found?.attempts === index + 1 ? found : undefined;
      });
      assert.deepEqual(
        [record.status, record.lastStatus, record.lastError],
        ['pending', status, `receiver answered HTTP ${status}`],
      );
      assert.equal(
        nextAttemptAt(db, 't1'),
        clock.now + delay,
        `back-off after attempt ${index + 1}`,
      );
      assert.equal(hook.received.length, index + 1, 'not retried before it is due');
      clock.now += delay;
    }
    const done = await waitFor(async () => {
      const found = (await callbacks.list('t1'))[0];
      return found?.status === 'delivered' ? found : undefined;
    });
    assert.deepEqual([done.attempts, done.lastStatus, done.lastError], [4, 204, null]);
    // Every attempt carried the same body, each with its own timestamp and a signature over it.
    assert.equal(new Set(hook.received.map((request) => request.body)).size, 1);
    for (const request of hook.received) {
      const timestamp = String(request.headers['x-anima-timestamp']);
      const mac = createHmac('sha256', appKey).update(`${timestamp}.${request.body}`).digest('hex');
      assert.equal(request.headers['x-anima-signature'], `sha256=${mac}`);
    }
  } finally {
    await callbacks.stop();
    hook.close();
  }
});

test('after its last attempt a callback is given up, logged, and never sent again', async () => {
  const hook = await receiver([500]);
  const { callbacks, clock, warnings } = service({ maxAttempts: 2 });
  callbacks.start();
  try {
    await callbacks.enqueue(task('t1', { callbackUrl: hook.url }), null);
    await waitFor(async () => ((await callbacks.list('t1'))[0]?.attempts === 1 ? true : undefined));
    clock.now += 1000;
    const failed = await waitFor(async () => {
      const found = (await callbacks.list('t1'))[0];
      return found?.status === 'failed' ? found : undefined;
    });
    assert.deepEqual(
      [failed.attempts, failed.lastStatus, failed.lastError],
      [2, 500, 'receiver answered HTTP 500'],
    );
    assert.deepEqual(warnings, [
      {
        message: 'callback given up',
        taskId: 't1',
        url: hook.url,
        error: 'receiver answered HTTP 500',
      },
    ]);
    // Long after, another task's callback is delivered; the given-up one stays as it was.
    clock.now += 3_600_000;
    const other = await receiver([204]);
    await callbacks.enqueue(task('t2', { callbackUrl: other.url }), null);
    await waitFor(async () =>
      (await callbacks.list('t2'))[0]?.status === 'delivered' ? true : undefined,
    );
    other.close();
    assert.equal(hook.received.length, 2);
    assert.equal((await callbacks.list('t1'))[0]?.attempts, 2);
  } finally {
    await callbacks.stop();
    hook.close();
  }
});

test('an unreachable or refused receiver is recorded with the reason, no HTTP status', async () => {
  const hook = await receiver([204]);
  hook.close();
  const { callbacks } = service({ maxAttempts: 1 });
  const strict = service({ maxAttempts: 1, policy: { allowPrivate: false, allowHosts: [] } });
  try {
    await callbacks.enqueue(task('gone', { callbackUrl: hook.url }), null);
    const gone = await waitFor(async () => {
      const found = (await callbacks.list('gone'))[0];
      return found?.status === 'failed' ? found : undefined;
    });
    assert.equal(gone.lastStatus, null);
    assert.ok(gone.lastError, 'the connection error is kept');
    // A loopback address the policy does not allow is never contacted.
    await strict.callbacks.enqueue(task('private', { callbackUrl: hook.url }), null);
    const refused = await waitFor(async () => {
      const found = (await strict.callbacks.list('private'))[0];
      return found?.status === 'failed' ? found : undefined;
    });
    assert.equal(refused.lastStatus, null);
    assert.match(refused.lastError ?? '', /loopback/);
  } finally {
    await callbacks.stop();
    await strict.callbacks.stop();
  }
});
