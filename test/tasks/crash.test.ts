import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { AnimaClient, type TaskAnswer } from '../../sdk/client.js';
import type { TaskAnswer as TaskRecordAnswer } from '../../src/tasks/task.answer.js';
import { samplesDir } from '../../src/util/paths.js';
import { bearer, tempDir, waitFor } from '../helpers/harness.js';
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

function statusInDb(taskId: string, dir = dataDir): string {
  const db = new Database(path.join(dir, 'anima.db'), { readonly: true });
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

/** A port nobody listens on now, so a restarted server can be reached the moment it listens. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** The first answer a server gives on this port, asked again and again until it listens. */
async function firstAnswer(port: number, route: string, token: string): Promise<TaskRecordAnswer> {
  for (;;) {
    const answer = await new Promise<TaskRecordAnswer | undefined>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: route, headers: bearer(token) });
      request.on('error', () => resolve(undefined)); // not listening yet
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => {
          if (response.statusCode !== 200)
            reject(new Error(`answered ${response.statusCode}: ${text}`));
          else resolve((JSON.parse(text) as { data: TaskRecordAnswer }).data);
        });
      });
    });
    if (answer) return answer;
  }
}

test('after SIGKILL the first answer shows no orphaned running task, and partial uploads are gone', async () => {
  const dir = tempDir('anima-restart-');
  const created = createAppWithCli(dir, 'restart');
  const port = await freePort();
  const env = {
    ANIMA_DATA: dir,
    ANIMA_PORT: String(port),
    ANIMA_HOST: '127.0.0.1',
    ANIMA_LOG_LEVEL: 'warn',
    ANIMA_CONCURRENCY: 'test.ffmpeg=1',
  };
  let server = await startServerProcess('dist/test/helpers/crash-server.js', env);
  children.push(server.child);
  const client = new AnimaClient(server.url, created.appId, created.appKey);
  const token = (await client.authenticate()).accessToken;
  const { taskId } = await client.call<{ taskId: string }>('POST', `${testArea.prefix}/create`, {
    type: 'test.ffmpeg',
    params: { seconds: 30 },
  });
  const before = await waitFor(async () => {
    const task = await firstAnswer(port, `${testArea.prefix}/${taskId}`, token);
    return task.status === 'running' ? task : undefined;
  });

  // An upload is on its way to disk when the server dies.
  const tmp = path.join(dir, 'tmp');
  const png = fs.readFileSync(path.join(samplesDir, 'image', 'astronaut.png'));
  const head = `--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n`;
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(
    `POST /api/2dvh/v1/material/file/upload HTTP/1.1\r\nHost: localhost\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=b\r\n` +
      `Content-Length: ${head.length + png.length + 8}\r\n\r\n${head}`,
  );
  socket.write(png.subarray(0, png.length / 2));
  await waitFor(() => (fs.existsSync(tmp) && fs.readdirSync(tmp).length > 0) || undefined);
  await stopProcess(server.child, 'SIGKILL');
  socket.destroy();
  assert.equal(statusInDb(taskId, dir), 'running');
  assert.match(fs.readdirSync(tmp).join(), /^[0-9a-f]{32}\.part$/);
  // A render's work folder holds thousands of frames; recovery removes them before it re-queues,
  // which leaves time for a server that listens first to answer with the stale state.
  const frames = path.join(dir, 'work', taskId, 'frames');
  fs.mkdirSync(frames, { recursive: true });
  for (let i = 0; i < 20_000; i++) fs.writeFileSync(path.join(frames, `${i}.png`), '');

  const restarted = startServerProcess('dist/test/helpers/crash-server.js', env);
  const first = await firstAnswer(port, `${testArea.prefix}/${taskId}`, token);
  server = await restarted;
  children.push(server.child);
  const orphaned = first.status === 'running' && first.attempts === before.attempts;
  assert.ok(!orphaned, `the first answer shows the crashed run: ${JSON.stringify(first)}`);
  assert.deepEqual(fs.readdirSync(tmp), []);
  await stopProcess(server.child, 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});
