import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import {
  isAbortError,
  ProcessError,
  runProcess,
  startProcess,
} from '../../src/media/process.runner.js';

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

/** The ids of this process's ffmpeg children that are still there. */
function ffmpegChildren(): string[] {
  return execFileSync('ps', ['-eo', 'pid,ppid,comm'])
    .toString()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, comm]) => ppid === String(process.pid) && comm?.includes('ffmpeg'))
    .map(([pid]) => pid ?? '');
}

test('aborting stops a long ffmpeg at once', async () => {
  const controller = new AbortController();
  // A minute of real-time work, aborted as soon as it reports its first progress.
  const run = runProcess(
    'ffmpeg',
    ['-nostdin', '-re', '-f', 'lavfi', '-i', 'sine=duration=60', '-f', 'null', '-'],
    {
      signal: controller.signal,
      onStderr: (chunk) => {
        if (chunk.includes('time=')) controller.abort();
      },
    },
  );
  await assert.rejects(run, (error: unknown) => isAbortError(error));
  assert.ok(controller.signal.aborted, 'it ended because it was aborted');
  assert.deepEqual(ffmpegChildren(), [], 'the ffmpeg is gone by the time the run rejects');
});

test('an extra input pipe reaches the child as file descriptor 3, beside stdin', async () => {
  const running = startProcess('sh', ['-c', 'cat <&3; cat'], { extraInputs: 1 });
  const [extra] = running.inputs;
  assert.ok(extra);
  extra.end('from fd 3;');
  running.stdin.end('from stdin');
  const out: Buffer[] = [];
  running.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  await running.done;
  assert.equal(Buffer.concat(out).toString(), 'from fd 3;from stdin');
});
