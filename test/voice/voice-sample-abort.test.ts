import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AnimaClient } from '../../sdk/client.js';
import type { ProductPayloads } from '../../src/server/product.js';
import { samplesDir } from '../../src/util/paths.js';
import { checkSamples } from '../../src/voice/sample-check.js';
import { startProductServer, waitFor, type TestServer } from '../helpers/harness.js';

/**
 * A voice build stopped while it checks its samples: a cancel ends it cancelled and a graceful
 * stop puts it back in the queue, as for every other task. (The check once caught the abort and
 * called the sample unreadable, 8201, failing the task for good.)
 */
let server: TestServer<ProductPayloads>;
let client: AnimaClient;
const area = '/api/voice/v1/model';
const reader = path.join(samplesDir, 'audio', 'librivox_en_sense_and_sensibility_0870.wav');

before(async () => {
  server = await startProductServer();
  const base = await server.listen();
  const { appId, appKey } = await server.platform.auth.createApp({ name: 'voices' });
  client = new AnimaClient(base, appId, appKey);
  await client.authenticate();
});
after(() => server.close());

/**
 * A build whose sample is held in its check stage: the stored file is swapped for a named pipe
 * nobody writes to, so ffprobe waits on it until the task is aborted.
 */
async function buildHeldInCheck(): Promise<string> {
  const { fileId } = await client.upload(reader);
  const stored = await server.platform.files.localPath(fileId);
  fs.rmSync(stored);
  execFileSync('mkfifo', [stored]);
  const { taskId } = await client.call<{ taskId: string }>('POST', `${area}/create`, {
    name: 'held',
    language: 'en-US',
    fileIds: [fileId],
  });
  await waitFor(
    async () => {
      const task = await server.platform.store.get(taskId);
      return task?.stage === 'check' ? task : undefined;
    },
    60_000,
    'the check stage',
  );
  return taskId;
}

test('a sample check aborted before it starts rejects with the abort, not as an unreadable sample', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    checkSamples([{ name: 'reader.wav', file: reader }], 2, controller.signal),
    (error: unknown) => error instanceof Error && error.name === 'AbortError',
  );
});

test('a voice build cancelled during its check stage ends cancelled, not failed', async () => {
  const taskId = await buildHeldInCheck();
  await client.call('POST', `${area}/cancel`, { taskId });
  const done = await client.waitForTask(area, taskId);
  assert.equal(done.status, 'cancelled', JSON.stringify(done));
  assert.notEqual(done.errorCode, 8201);
});

test('a graceful stop during the check stage puts the voice build back in the queue', async () => {
  const taskId = await buildHeldInCheck();
  await server.platform.queue.stop();
  const task = await server.platform.store.get(taskId);
  assert.equal(task?.status, 'queued', JSON.stringify(task));
  assert.equal(task.errorCode, null);
});
