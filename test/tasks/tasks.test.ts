import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { signCallback } from '../../src/tasks/callback.service.js';
import { bearer, startTestServer, waitFor, type TestServer } from '../helpers/harness.js';
import { testArea } from '../helpers/test-tasks.js';

let server: TestServer;
let token: string;
let appKey: string;
before(async () => {
  server = await startTestServer({
    ANIMA_FETCH_ALLOW_PRIVATE: 'true',
    ANIMA_CONCURRENCY: 'test.ffmpeg=1',
  });
  ({ token, appKey } = await server.newApp());
});
after(() => server.close());

async function submit(body: object, auth = token): Promise<string> {
  const response = await server.app.inject({
    method: 'POST',
    url: `${testArea.prefix}/create`,
    headers: bearer(auth),
    payload: body,
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().data.taskId as string;
}

async function query(taskId: string, auth = token) {
  const response = await server.app.inject({
    method: 'GET',
    url: `${testArea.prefix}/${taskId}`,
    headers: bearer(auth),
  });
  return { status: response.statusCode, body: response.json() };
}

async function until(taskId: string, statuses: string[], auth = token) {
  return waitFor(
    async () => {
      const { body } = await query(taskId, auth);
      return statuses.includes(body.data.status) ? body.data : undefined;
    },
    30_000,
    `task ${taskId} to reach ${statuses.join('/')}`,
  );
}

/** ffmpeg processes running the test workload (a real child of this process). */
/** The ids of this process's ffmpeg children. */
function ffmpegChildren(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid,ppid,comm']).toString();
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, comm]) => ppid === String(process.pid) && comm?.includes('ffmpeg'))
    .map(([pid]) => Number(pid));
}

/** Whether a process of this id still exists (a child that exited and was reaped does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a task runs, reports stage and progress, and succeeds with its result', async () => {
  const taskId = await submit({ type: 'test.ffmpeg', params: { seconds: 1.5 } });
  const running = await waitFor(
    async () => {
      const { body } = await query(taskId);
      return body.data.stage === 'encode' && body.data.progress > 0 ? body.data : undefined;
    },
    20_000,
    'progress',
  );
  assert.equal(running.status, 'running');
  const done = await until(taskId, ['succeeded']);
  assert.equal(done.progress, 100);
  assert.deepEqual(done.result, { seconds: 1.5 });
  assert.equal(done.errorMsg, null);
  assert.equal(done.attempts, 1);
});

test('a failing task says why in the catalog words and the fix', async () => {
  const taskId = await submit({ type: 'test.fail', params: { fileName: 'input_source.mp4' } });
  const failed = await until(taskId, ['failed']);
  assert.equal(failed.errorCode, 6007);
  assert.equal(
    failed.errorMsg,
    'abc_s1 input_source.mp4 has no audio track, video_summary or audio_summary not exit',
  );
  assert.match(failed.fix, /audio track/);
});

test('cancel stops a running task and kills its ffmpeg at once', async () => {
  const taskId = await submit({ type: 'test.ffmpeg', params: { seconds: 30 } });
  const pids = await waitFor(async () => {
    const running = (await query(taskId)).body.data.status === 'running';
    const children = ffmpegChildren();
    return running && children.length > 0 ? children : undefined;
  });
  const response = await server.app.inject({
    method: 'POST',
    url: `${testArea.prefix}/cancel`,
    headers: bearer(token),
    payload: { taskId },
  });
  assert.equal(response.statusCode, 200);
  const cancelled = await until(taskId, ['cancelled']);
  assert.equal(cancelled.errorMsg, 'task was cancelled');
  // Its 30 s of real-time work was cut short: the task is told cancelled only once its ffmpeg is gone.
  assert.ok(cancelled.progress < 100, `progress ${cancelled.progress}`);
  assert.equal(cancelled.result, null);
  assert.deepEqual(pids.filter(alive), [], 'the ffmpeg it ran has exited');
  const again = await server.app.inject({
    method: 'POST',
    url: `${testArea.prefix}/cancel`,
    headers: bearer(token),
    payload: { taskId },
  });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().code, 2002);
});

test('a queued task is cancelled without running; concurrency holds the second one back', async () => {
  const first = await submit({ type: 'test.ffmpeg', params: { seconds: 30 } });
  const second = await submit({ type: 'test.ffmpeg', params: { seconds: 30 } });
  await until(first, ['running']);
  assert.equal(
    (await query(second)).body.data.status,
    'queued',
    'test.ffmpeg=1 runs one at a time',
  );
  await server.app.inject({
    method: 'POST',
    url: `${testArea.prefix}/cancel`,
    headers: bearer(token),
    payload: { taskId: second },
  });
  const cancelled = (await query(second)).body.data;
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.attempts, 0);
  await server.app.inject({
    method: 'POST',
    url: `${testArea.prefix}/cancel`,
    headers: bearer(token),
    payload: { taskId: first },
  });
  await until(first, ['cancelled']);
});

test('list pages and filters; delete refuses active tasks and removes ended ones', async () => {
  const other = await server.newApp('other');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push(await submit({ type: 'test.echo', params: { value: String(i) } }, other.token));
  for (const id of ids) await until(id, ['succeeded'], other.token);
  const list = async (qs: string) =>
    (
      await server.app.inject({
        method: 'GET',
        url: `${testArea.prefix}/list?${qs}`,
        headers: bearer(other.token),
      })
    ).json();
  const page1 = await list('page=1&size=2');
  assert.equal(page1.data.total, 5);
  assert.equal(page1.data.items.length, 2);
  assert.equal(page1.data.items[0].taskId, ids[4], 'newest first');
  const page3 = await list('page=3&size=2');
  assert.equal(page3.data.items.length, 1);
  assert.equal((await list('status=failed')).data.total, 0);
  assert.equal((await list('type=test.echo&status=succeeded')).data.total, 5);
  assert.equal((await list('status=bogus')).code, 3333);
  assert.equal((await list('type=video.render')).code, 3333);
  // Another app's tasks are invisible.
  assert.equal((await query(ids[0] ?? '', token)).status, 404);
  const removed = await server.app.inject({
    method: 'POST',
    url: `${testArea.prefix}/delete`,
    headers: bearer(other.token),
    payload: { taskId: ids[0] },
  });
  assert.equal(removed.json().data, true);
  assert.equal((await query(ids[0] ?? '', other.token)).body.code, 2001);

  const active = await submit({ type: 'test.ffmpeg', params: { seconds: 30 } });
  await until(active, ['running']);
  const refused = await server.app.inject({
    method: 'POST',
    url: `${testArea.prefix}/delete`,
    headers: bearer(token),
    payload: { taskId: active },
  });
  assert.equal(refused.statusCode, 409);
  assert.equal(refused.json().code, 2003);
  await server.app.inject({
    method: 'POST',
    url: `${testArea.prefix}/cancel`,
    headers: bearer(token),
    payload: { taskId: active },
  });
  await until(active, ['cancelled']);
});

test('a malformed task id is a 3333, an unknown one a 2001', async () => {
  const bad = await server.app.inject({
    method: 'GET',
    url: `${testArea.prefix}/not-an-id`,
    headers: bearer(token),
  });
  assert.equal(bad.json().code, 3333);
  const unknown = await query('0'.repeat(32));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 2001);
});

test('callbacks are signed with the app key, retried with back-off, and recorded', async () => {
  const received: Array<{ body: string; signature: string; timestamp: string }> = [];
  let calls = 0;
  const receiver = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      calls++;
      if (calls === 1) {
        response.writeHead(503).end();
        return;
      }
      received.push({
        body,
        signature: String(request.headers['x-anima-signature']),
        timestamp: String(request.headers['x-anima-timestamp']),
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    const taskId = await submit({
      type: 'test.echo',
      params: { value: 'hi' },
      callbackUrl: `http://127.0.0.1:${port}/hook`,
      userData: 'order-42',
    });
    const delivered = await waitFor(() => received[0], 20_000, 'callback delivery');
    const payload = JSON.parse(delivered.body);
    assert.equal(payload.taskId, taskId);
    assert.equal(payload.status, 'succeeded');
    assert.deepEqual(payload.result, { value: 'hi' });
    assert.equal(payload.userData, 'order-42');
    assert.equal(delivered.signature, signCallback(appKey, delivered.timestamp, delivered.body));
    // The record is written once the receiver's answer is back, a moment after it got the body.
    const records = await waitFor(
      async () => {
        const list = await server.platform.callbacks.list(taskId);
        return list[0]?.status === 'delivered' ? list : undefined;
      },
      5_000,
      'the delivery recorded',
    );
    assert.equal(records.length, 1);
    assert.equal(records[0]?.attempts, 2, 'the 503 was retried');
  } finally {
    receiver.close();
  }
});
