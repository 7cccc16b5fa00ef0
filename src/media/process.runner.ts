import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly cwd?: string;
  /** Extra environment; the child gets PATH, HOME and LANG from ours plus these. */
  readonly env?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Written to the child's stdin, which is then closed. */
  readonly input?: Buffer | string;
  /** Called with each chunk of stderr (ffmpeg's progress lines, for example). */
  readonly onStderr?: (chunk: string) => void;
  /** Time between SIGTERM and SIGKILL when the run is cancelled. */
  readonly killGraceMs?: number;
  /** How much stderr to keep for the error message. */
  readonly stderrTailBytes?: number;
}

export interface RunResult {
  readonly stdout: Buffer;
  readonly stderr: string;
}

export class ProcessError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly signalName: NodeJS.Signals | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

/** The error an aborted run rejects with, recognisable by `name`, like fetch's. */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('the operation was cancelled', { cause: reason });
  error.name = 'AbortError';
  return error;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * The one way this project runs a program: arguments as an array (never a shell string), an
 * explicit environment, cancellation through an AbortSignal (SIGTERM, then SIGKILL), and the tail
 * of stderr attached to the error.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const { signal, killGraceMs = 2000, stderrTailBytes = 8192 } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        LANG: 'C.UTF-8',
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    let aborted = false;

    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), killGraceMs);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      options.onStderr?.(chunk);
      stderr = (stderr + chunk).slice(-stderrTailBytes);
    });
    child.stdin.on('error', () => undefined); // the child may exit before reading all input
    child.stdin.end(options.input);

    const finish = (): void => {
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
    };
    child.on('error', (error) => {
      finish();
      reject(
        new ProcessError(
          `${command} could not start: ${error.message}`,
          command,
          null,
          null,
          stderr,
        ),
      );
    });
    child.on('close', (code, signalName) => {
      finish();
      if (aborted) reject(abortError(signal));
      else if (code === 0) resolve({ stdout: Buffer.concat(stdout), stderr });
      else {
        const tail = stderr.trim().split('\n').slice(-5).join('\n');
        reject(
          new ProcessError(
            `${command} exited with ${code ?? signalName}${tail ? `: ${tail}` : ''}`,
            command,
            code,
            signalName,
            stderr,
          ),
        );
      }
    });
  });
}
