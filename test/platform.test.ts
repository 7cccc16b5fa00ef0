import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { openPlatform } from '../src/platform.js';
import { packageRoot } from '../src/util/paths.js';
import { tempDir } from './helpers/harness.js';
import { testHandlers } from './helpers/test-tasks.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = tempDir('anima-platform-');
  dirs.push(dir);
  return dir;
}

function configFor(dir: string, env: Record<string, string> = {}) {
  return loadConfig({ env: { ANIMA_DATA: dir, ANIMA_LOG_LEVEL: 'silent', ...env } });
}

/** The first line a child prints (what a lock racer says it got). */
function firstLine(child: ChildProcessByStdio<Writable, Readable, null>): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0] ?? '');
    });
    child.once('exit', () => resolve(text));
  });
}

/** The pid of a process that has exited: what a crashed server leaves in its lock. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(child.pid);
  return child.pid;
}

test('servers started together on one data directory: exactly one gets the lock', async () => {
  const racer = path.join(packageRoot, 'dist/test/helpers/lock-racer.js');
  for (let round = 0; round < 8; round++) {
    const dir = dataDir();
    // Each round starts four racers at one instant, far enough ahead for all to be spinning.
    const startAt = String(Date.now() + 1500);
    const racers = [0, 1, 2, 3].map(() =>
      spawn(process.execPath, [racer, dir, startAt], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const exited = racers.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    const outputs = await Promise.all(racers.map(firstLine));
    // Every racer has spoken: only now may the holder let go.
    for (const child of racers) child.stdin.end();
    await Promise.all(exited);
    const held = outputs.filter((out) => out.startsWith('HELD'));
    assert.equal(held.length, 1, `round ${round}: ${outputs.join(' | ')}`);
    for (const out of outputs.filter((o) => !o.startsWith('HELD'))) {
      assert.match(out, /^REFUSED another Anima server .*is using the data directory/);
    }
    assert.equal(fs.existsSync(path.join(dir, 'server.pid')), false, 'the holder let go');
  }
});

test('a lock left by a dead server is taken over; a live holder is named', async () => {
  const dir = dataDir();
  const lock = path.join(dir, 'server.pid');
  fs.writeFileSync(lock, String(await deadPid()));
  const platform = await openPlatform(configFor(dir), { tasks: testHandlers, lock: true });
  assert.equal(fs.readFileSync(lock, 'utf8'), String(process.pid));
  // A live server holding it (here: a process that is running) keeps it.
  await platform.close();
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    fs.writeFileSync(lock, String(holder.pid));
    await assert.rejects(
      openPlatform(configFor(dir), { tasks: testHandlers, lock: true }),
      new RegExp(`another Anima server \\(pid ${holder.pid}\\) is using the data directory`),
    );
    assert.equal(fs.readFileSync(lock, 'utf8'), String(holder.pid), 'its lock is left alone');
  } finally {
    holder.kill('SIGKILL');
  }
});

test('a misspelled task type in ANIMA_CONCURRENCY is a configuration error naming the types', async () => {
  const dir = dataDir();
  const config = configFor(dir, { ANIMA_CONCURRENCY: 'test.echo=2,test.ffmpg=3' });
  await assert.rejects(
    openPlatform(config, { tasks: testHandlers, lock: true }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'ANIMA_CONCURRENCY (concurrency): there is no task type "test.ffmpg"; the task types are test.ffmpeg, test.fail, test.echo',
      ]);
      return true;
    },
  );
  // Nothing was left held: the corrected setting starts.
  const fixed = configFor(dir, { ANIMA_CONCURRENCY: 'test.echo=2,test.ffmpeg=3' });
  const platform = await openPlatform(fixed, { tasks: testHandlers, lock: true });
  await platform.close();
});
