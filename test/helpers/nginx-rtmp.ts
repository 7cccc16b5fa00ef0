/**
 * A real RTMP ingest for tests: Debian's nginx with libnginx-mod-rtmp on loopback, its config,
 * logs and pid in a temp dir, one process (no daemon, no master), as root or as a normal user.
 * It can be stopped and started again on the same port, for the relay's reconnect tests.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startProcess, type RunningProcess } from '../../src/media/process.runner.js';
import { freePort } from './ports.js';

export interface NginxRtmp {
  readonly port: number;
  /** The publish/play URL of a stream key in the `live` application. */
  url(key: string): string;
  /** Stops nginx (its connections drop at once); resolves when the process is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its temp dir: call it in `finally` or `t.after`. */
  close(): Promise<void>;
}

const rtmpModule = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

function buildConfig(dir: string, port: number): string {
  return [
    `load_module ${rtmpModule};`,
    'daemon off;',
    'master_process off;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 64; }',
    'rtmp {',
    `  access_log ${dir}/access.log;`,
    `  server { listen 127.0.0.1:${port}; application live { live on; } }`,
    '}',
    '',
  ].join('\n');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startNginxRtmp(): Promise<NginxRtmp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anima-nginx-'));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, buildConfig(dir, port));
  let running: { process: RunningProcess; stop: AbortController; ended: Promise<void> } | undefined;

  const start = async (): Promise<void> => {
    if (running) return;
    const stop = new AbortController();
    // -e: the log nginx opens before it reads the config (its default is root's /var/log).
    const process = startProcess('nginx', ['-p', dir, '-c', conf, '-e', `${dir}/error.log`], {
      signal: stop.signal,
      killGraceMs: 3000,
    });
    const ended = process.done.then(
      () => undefined,
      () => undefined,
    );
    let exited = false;
    void ended.then(() => (exited = true));
    running = { process, stop, ended };
    for (let waited = 0; waited < 10_000; waited += 50) {
      if (await accepts(port)) return;
      if (exited) break;
      await sleep(50);
    }
    const log = fs.existsSync(`${dir}/error.log`)
      ? fs.readFileSync(`${dir}/error.log`, 'utf8')
      : '';
    await stopNginx();
    throw new Error(`nginx did not accept on 127.0.0.1:${port}: ${log.trim().slice(-500)}`);
  };
  const stopNginx = async (): Promise<void> => {
    const current = running;
    running = undefined;
    if (!current) return;
    current.stop.abort();
    await current.ended;
  };
  await start();
  return {
    port,
    url: (key) => `rtmp://127.0.0.1:${port}/live/${key}`,
    stop: stopNginx,
    start,
    close: async () => {
      await stopNginx();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
