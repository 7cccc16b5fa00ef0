/**
 * A real Postgres for a test file: Debian's server binaries, a fresh cluster in a scratch
 * directory, listening on loopback only, stopped and removed after. No system service is used.
 * Postgres will not run as root, so as root (CI) the cluster belongs to the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { tempDir } from './harness.js';
import { freePort } from './ports.js';

export interface TestPostgres {
  /** The server's URL, on its `postgres` database. */
  readonly url: string;
  /** A URL on a new, empty database of its own. */
  database(): Promise<string>;
  /** Stops the server, keeping its data, as an outage would. */
  pause(): void;
  /** Starts it again on the same port. */
  resume(): void;
  stop(): void;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((name) => fs.existsSync(path.join(root, name, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('Postgres is not installed (Debian package postgresql): run setup');
  return path.join(root, newest, 'bin');
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = tempDir('anima-pg-');
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const run = (tool: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], {
          stdio: 'pipe',
        })
      : execFileSync(path.join(bin, tool), args, { stdio: 'pipe' });
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'anima', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      'start',
    ]);
  start();
  const url = `postgres://anima@127.0.0.1:${port}/postgres`;
  let databases = 0;
  return {
    url,
    async database() {
      const name = `t${++databases}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://anima@127.0.0.1:${port}/${name}`;
    },
    pause() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    resume: start,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped (paused and never resumed).
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
