import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { AnimaClient, type TaskAnswer } from '../../sdk/client.js';
import { tempDir, waitFor } from '../helpers/harness.js';
import {
  createAppWithCli,
  startServerProcess,
  stopProcess,
  type ServerProcess,
} from '../helpers/server-process.js';
import { testArea } from '../helpers/test-tasks.js';

const dataDir = tempDir('anima-crash-');
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts the server as a real child process on the shared data directory. */
async function startServer(): Promise<ServerProcess> {
  const server = await startServerProcess('dist/test/helpers/crash-server.js', {
    ANIMA_DATA: dataDir,
    ANIMA_PORT: '0',
    ANIMA_LOG_LEVEL: 'warn',
    ANIMA_TASK_MAX_ATTEMPTS: '2',
    ANIMA_CONCURRENCY: 'test.ffmpeg=1',
  });
  children.push(server.child);
  return server;
}

function statusInDb(taskId: string): string {
  const db = new Database(path.join(dataDir, 'anima.db'), { readonly: true });
  try {
    return (db.prepare('SELECT status FROM tasks WHERE id = ?').get(taskId) as { status: string })
      .status;
  } finally {
    db.close();
  }
}

test('SIGKILL mid-task loses nothing: tasks re-run after a restart, or fail with a reason', async () => {
  // The app is made with the real CLI on the data directory, as an operator would.
  const created = createAppWithCli(dataDir, 'crash');

  let server = await startServer();
  let client = new AnimaClient(server.url, created.appId, created.appKey);
  const submit = async (type: string, params: object) =>
    (await client.call<{ taskId: string }>('POST', `${testArea.prefix}/create`, { type, params }))
      .taskId;
  const long = await submit('test.ffmpeg', { seconds: 4 });
  const queuedFfmpeg = await submit('test.ffmpeg', { seconds: 0.5 });
  const queuedEcho = await submit('test.echo', { value: 'kept' });
  const running = (c: AnimaClient) =>
    waitFor(
      async () => {
        const task = await c.task(testArea.prefix, long);
        return task.status === 'running' && task.progress > 0 ? task : undefined;
      },
      20_000,
      'the long task to run',
    );

  // First crash: the long task is running, another waits behind it.
  await running(client);
  await stopProcess(server.child, 'SIGKILL');
  assert.equal(statusInDb(long), 'running', 'the crash left it running in the database');

  server = await startServer();
  client = new AnimaClient(server.url, created.appId, created.appKey);
  const rerun = await running(client);
  assert.equal(rerun.stage, 'encode');
  // Second crash during its second (and last allowed) start.
  await stopProcess(server.child, 'SIGKILL');

  server = await startServer();
  client = new AnimaClient(server.url, created.appId, created.appKey);
  const ended = (id: string) =>
    waitFor(
      async () => {
        const task: TaskAnswer = await client.task(testArea.prefix, id);
        return task.status === 'queued' || task.status === 'running' ? undefined : task;
      },
      30_000,
      `task ${id} to end`,
    );
  const failed = await ended(long);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.errorCode, 2101);
  assert.match(failed.errorMsg ?? '', /the server stopped 2 times while this task was running/);
  assert.equal((await ended(queuedFfmpeg)).status, 'succeeded');
  const echo = await ended(queuedEcho);
  assert.equal(echo.status, 'succeeded');
  assert.deepEqual(echo.result, { value: 'kept' });

  // A graceful stop puts a running task back in the queue without spending a start.
  const graceful = await submit('test.ffmpeg', { seconds: 3 });
  await waitFor(async () =>
    (await client.task(testArea.prefix, graceful)).status === 'running' ? true : undefined,
  );
  await stopProcess(server.child);
  assert.equal(statusInDb(graceful), 'queued');
  server = await startServer();
  client = new AnimaClient(server.url, created.appId, created.appKey);
  const finished = await ended(graceful);
  assert.equal(finished.status, 'succeeded');
  server.child.kill('SIGTERM');
});
