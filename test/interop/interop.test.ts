/**
 * Runs the Python client suite in this folder (test_*.py) against a real `anima serve` process,
 * as an integrator's own client code would meet it: a temporary data directory, an app made with
 * the CLI, a free port. The suite is written from the API contract, not from our code; this file
 * only sets the stage and fails with Python's output when any Python test fails.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { packageRoot } from '../../src/util/paths.js';
import { tempDir } from '../helpers/harness.js';
import { createAppWithCli, stopProcess } from '../helpers/server-process.js';

const suiteDir = path.join(packageRoot, 'test', 'interop');
// Debian's interpreter, which sees python3-httpx and python3-websockets (installed by
// scripts/setup.sh); a python3 earlier on PATH (pyenv, a venv) may not have them.
const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
// Under the runner's own per-test timeout, so that a hung suite still shows its output.
const suiteTimeoutMs = 150_000;
const startTimeoutMs = 60_000;

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the server printed, for the failure message. */
  readonly log: () => string;
}

let dataDir: string;
let server: Served;
let app: { appId: string; appKey: string };

/** `anima serve` on a free port; resolves with the URL from its "listening" log line. */
function serve(dir: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    [path.join(packageRoot, 'bin/anima.js'), 'serve', '--data', dir, '--port', '0'],
    { env: { ...process.env, ANIMA_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stderr?.on('data', keep);
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      child.kill('SIGKILL');
      reject(new Error(`anima serve ${why}:\n${log}`));
    };
    const timer = setTimeout(
      () => fail(`did not say it was listening in ${startTimeoutMs} ms`),
      startTimeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      const url = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"anima is listening"/.exec(log)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({ child, url, log: () => log });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anima serve exited with ${code}:\n${log}`));
    });
  });
}

/** Runs `python3 -m unittest -v` in the suite's folder; resolves with its exit code and output. */
function runPythonSuite(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const child = spawn(python, ['-m', 'unittest', '-v'], {
    cwd: suiteDir,
    env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: suiteTimeoutMs,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code: code ?? -1, output: signal ? `${output}\n(killed by ${signal})` : output }),
    );
  });
}

before(async () => {
  dataDir = tempDir('anima-interop-');
  app = createAppWithCli(dataDir, 'interop');
  server = await serve(dataDir);
});
after(async () => {
  if (server) await stopProcess(server.child);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the Python client suite passes against a real anima serve', async (t) => {
  const { code, output } = await runPythonSuite({
    ANIMA_INTEROP_URL: server.url,
    ANIMA_INTEROP_APP_ID: app.appId,
    ANIMA_INTEROP_APP_KEY: app.appKey,
  });
  const summary = output
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-2)
    .join(' | ');
  t.diagnostic(`python: ${summary}`);
  assert.equal(
    code,
    0,
    `Python client suite failed (exit ${code}):\n${output}\n--- server log (tail) ---\n${server.log().slice(-4000)}`,
  );
  assert.match(output, /^Ran \d+ tests? /m);
});
