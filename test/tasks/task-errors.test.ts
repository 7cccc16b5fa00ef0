import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { runProcess } from '../../src/media/process.runner.js';
import { openPlatform } from '../../src/platform.js';
import type { TaskRecord } from '../../src/tasks/task.types.js';
import { tempDir, waitFor } from '../helpers/harness.js';

/**
 * A handler that fails in a way nobody planned for, as a real one could: ffmpeg refusing a file
 * of the data directory, whose path is in the error. The task's errorMsg is read by the client.
 */
type Payloads = { 'probe.unplanned': { name: string } };

// The data directory's name holds a space, as operators' often do.
const dataDir = tempDir('anima data ');
const platform = await openPlatform<Payloads>(
  loadConfig({ env: { ANIMA_DATA: dataDir, ANIMA_LOG_LEVEL: 'silent' } }),
  {
    tasks: {
      'probe.unplanned': async ({ params, workDir }) => {
        const file = path.join(workDir, params.name);
        fs.writeFileSync(file, 'not media');
        await runProcess('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
        return {};
      },
    },
  },
);
after(async () => {
  await platform.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('an unplanned failure in a task is 5000 whose errorMsg holds no server path', async () => {
  await platform.start();
  const { appId } = await platform.auth.createApp({ name: 'errors' });
  const task = await platform.queue.submit('probe.unplanned', appId, { name: 'clip.bin' });
  const ended = await waitFor<TaskRecord>(async () => {
    const now = await platform.store.get(task.id);
    return now && now.status !== 'queued' && now.status !== 'running' ? now : undefined;
  });
  assert.equal(ended.status, 'failed');
  assert.equal(ended.errorCode, 5000);
  assert.match(
    ended.errorMsg ?? '',
    /^internal error: ffmpeg exited with 1: …\/clip\.bin: Invalid data/,
  );
  assert.ok(!(ended.errorMsg ?? '').includes(dataDir), ended.errorMsg ?? '');
  assert.ok(!(ended.errorMsg ?? '').includes('\n'), 'one line');
});
