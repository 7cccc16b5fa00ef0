import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

/**
 * Runs a built script (relative to the project root) as its own Node process and resolves once
 * it prints "READY <url>".
 */
export function startServerProcess(
  script: string,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(packageRoot, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\S+)/.exec(out);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited early with ${code}: ${out}`)));
  });
}

/** Sends a signal and waits for the process to be gone. */
export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Makes an app with the real CLI on a data directory, as an operator would. */
export function createAppWithCli(
  dataDir: string,
  name = 'default',
  env: Record<string, string> = {},
): { appId: string; appKey: string } {
  const output = execFileSync(
    process.execPath,
    [path.join(packageRoot, 'bin/anima.js'), 'app', 'create', '--data', dataDir, '--name', name],
    { env: { ...process.env, ...env } },
  );
  return JSON.parse(output.toString()) as { appId: string; appKey: string };
}
