import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerClient } from '../../src/engines/worker-client.js';

const echo = new URL('../helpers/echo-worker.js', import.meta.url);

/** Holds the main thread for `ms`: the worker answers meanwhile and its message waits. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

test('an answer that arrives while the worker is terminated does not let the process go', async () => {
  const client = new WorkerClient<{ op: string }, { id: number }>(echo, 'echo');
  await client.call({ op: 'warm' });
  const answered = client.call({ op: 'late' });
  // The worker answers while the main thread is busy; that answer is handled after terminate()
  // has begun. It once unref'd the stopping worker, and with nothing else holding the event
  // loop, this test ended "still pending" instead of passing.
  busy(200);
  const stopped = client.terminate();
  assert.deepEqual((await answered).id > 0, true);
  await stopped;
});

test('calls after terminate start a new worker', async () => {
  const client = new WorkerClient<{ op: string }, { id: number }>(echo, 'echo');
  await client.call({ op: 'one' });
  await client.terminate();
  const again = await client.call({ op: 'two' });
  assert.ok(again.id > 0);
  await client.terminate();
});
