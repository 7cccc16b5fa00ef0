import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { AnimaClient, type TaskAnswer } from '../../sdk/client.js';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir, waitFor } from '../helpers/harness.js';
import { testArea } from '../helpers/test-tasks.js';

const dataDir = tempDir('anima-crash-');
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts the server as a real child process and resolves with its URL once it listens. */
function startServerProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [path.join(packageRoot, 'dist/test/helpers/crash-server.js')],
    {
      env: {
        ...process.env,
        ANIMA_DATA: dataDir,
        ANIMA_PORT: '0',
        ANIMA_LOG_LEVEL: 'warn',
        ANIMA_TASK_MAX_ATTEMPTS: '2',
        ANIMA_CONCURRENCY: 'test.ffmpeg=1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\S+)/.exec(out);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}: ${out}`)));
  });
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
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
  const created = JSON.parse(
    execFileSync(process.execPath, [
      path.join(packageRoot, 'bin/anima.js'),
      'app',
      'create',
      '--data',
      dataDir,
      '--name',
      'crash',
    ]).toString(),
  ) as { appId: string; appKey: string };

  let server = await startServerProcess();
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
  await killHard(server.child);
  assert.equal(statusInDb(long), 'running', 'the crash left it running in the database');

  server = await startServerProcess();
  client = new AnimaClient(server.url, created.appId, created.appKey);
  const rerun = await running(client);
  assert.equal(rerun.stage, 'encode');
  // Second crash during its second (and last allowed) start.
  await killHard(server.child);

  server = await startServerProcess();
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
  await new Promise<void>((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
  assert.equal(statusInDb(graceful), 'queued');
  server = await startServerProcess();
  client = new AnimaClient(server.url, created.appId, created.appKey);
  const finished = await ended(graceful);
  assert.equal(finished.status, 'succeeded');
  server.child.kill('SIGTERM');
});
