/**
 * bull-worker.js started as a process of its own (for a test or a bench to SIGKILL): resolves
 * once its queue listens; `started` waits until it has started a given task.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';

export interface BullWorkerProcess {
  readonly child: ChildProcess;
  started(taskId: string): Promise<void>;
}

export async function startBullWorkerProcess(options: {
  readonly dbFile: string;
  readonly redisUrl: string;
  readonly workRoot: string;
  readonly lockMs: number;
  readonly prefix: string;
}): Promise<BullWorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      path.join(packageRoot, 'dist/test/helpers/bull-worker.js'),
      options.dbFile,
      options.redisUrl,
      options.workRoot,
      String(options.lockMs),
      options.prefix,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const printed = async (text: string) => {
    while (!out.includes(text)) {
      if (child.exitCode !== null) throw new Error(`bull-worker exited early: ${out}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await printed('READY');
  return { child, started: (taskId) => printed(`STARTED ${taskId}`) };
}
