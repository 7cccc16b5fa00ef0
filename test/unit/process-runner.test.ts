import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAbortError, ProcessError, runProcess } from '../../src/media/process.runner.js';

test('a program runs with arguments as an array, never through a shell', async () => {
  const { stdout } = await runProcess('printf', ['%s|', 'a b', '$(echo nope)', ';ls']);
  assert.equal(stdout.toString(), 'a b|$(echo nope)|;ls|');
});

test('a failure carries the exit code and the tail of stderr', async () => {
  await assert.rejects(
    runProcess('ffmpeg', ['-hide_banner', '-i', '/nonexistent/input.mp4']),
    (error: unknown) => {
      assert.ok(error instanceof ProcessError);
      assert.equal(error.exitCode, 1);
      assert.match(error.message, /No such file or directory/);
      return true;
    },
  );
  await assert.rejects(runProcess('/no/such/program', []), /could not start/);
});

test('aborting stops a long ffmpeg at once', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const run = runProcess(
    'ffmpeg',
    ['-nostdin', '-re', '-f', 'lavfi', '-i', 'sine=duration=60', '-f', 'null', '-'],
    {
      signal: controller.signal,
    },
  );
  setTimeout(() => controller.abort(), 300);
  await assert.rejects(run, (error: unknown) => isAbortError(error));
  assert.ok(Date.now() - started < 3000);
});
