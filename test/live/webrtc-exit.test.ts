import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isAbortError, startProcess } from '../../src/media/process.runner.js';

const child = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../helpers/webrtc-viewer-child.js',
);

test('after a viewer came and went and close() returned, the process ends by itself', async () => {
  const stop = new AbortController();
  const running = startProcess(process.execPath, [child], { signal: stop.signal });
  let stdout = '';
  running.stdout.setEncoding('utf8');
  running.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    // A hang detector, not a speed limit: with nothing left open the process ends at once; a
    // native callback left registered kept it up for seconds (with chromium, for good).
    if (stdout.includes('closed')) setTimeout(() => stop.abort(), 3000).unref();
  });
  const deadline = setTimeout(() => stop.abort(), 25_000);
  try {
    await running.done;
  } catch (error) {
    if (isAbortError(error)) assert.fail(`still running 3 s after close(); it said: ${stdout}`);
    throw error;
  } finally {
    clearTimeout(deadline);
  }
  assert.equal(stdout, 'connected, viewers: 1\nclosed, viewers: 0\n');
});
