import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

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
  /**
   * Extra pipes the child reads, as file descriptors 3, 4, … (`pipe:3` to ffmpeg): a second
   * stream of input beside stdin, such as a live session's sound beside its frames.
   */
  readonly extraInputs?: number;
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

/** A program started by `startProcess`: its pipes, and a promise that settles when it ends. */
export interface RunningProcess {
  /** Read it (for await, or pipe) to consume the output with back-pressure. */
  readonly stdout: Readable;
  readonly stdin: Writable;
  /** The extra input pipes asked for (`extraInputs`), fd 3 first. */
  readonly inputs: readonly Writable[];
  /** Resolves with the stderr tail on exit 0; rejects with a ProcessError or an AbortError. */
  readonly done: Promise<{ stderr: string }>;
}

/**
 * The one way this project runs a program: arguments as an array (never a shell string), an
 * explicit environment, cancellation through an AbortSignal (SIGTERM, then SIGKILL), and the tail
 * of stderr attached to the error. Output streams; `runProcess` collects it.
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): RunningProcess {
  const { signal, killGraceMs = 2000, stderrTailBytes = 8192 } = options;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      LANG: 'C.UTF-8',
      ...options.env,
    },
    stdio: [
      'pipe',
      'pipe',
      'pipe',
      ...Array.from({ length: options.extraInputs ?? 0 }, () => 'pipe' as const),
    ],
  });
  const inputs = Array.from({ length: options.extraInputs ?? 0 }, (_, k) => {
    const pipe = child.stdio[3 + k] as Writable;
    pipe.on('error', () => undefined); // as stdin: the child may exit before reading it all
    return pipe;
  });
  let stderr = '';
  let killTimer: NodeJS.Timeout | undefined;
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), killGraceMs);
    killTimer.unref();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    options.onStderr?.(chunk);
    stderr = (stderr + chunk).slice(-stderrTailBytes);
  });
  child.stdin.on('error', () => undefined); // the child may exit before reading all input
  if (options.input !== undefined) child.stdin.end(options.input);
  const done = new Promise<{ stderr: string }>((resolve, reject) => {
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
      else if (code === 0) resolve({ stderr });
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
  return { stdout: child.stdout, stdin: child.stdin, inputs, done };
}

/** Runs a program to its end and collects its output (see `startProcess`). */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  if (options.signal?.aborted) throw abortError(options.signal);
  const running = startProcess(command, args, { ...options, input: options.input ?? '' });
  const stdout: Buffer[] = [];
  running.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  const { stderr } = await running.done;
  return { stdout: Buffer.concat(stdout), stderr };
}

/** ffmpeg's flags for every pipeline: no keyboard, errors only, outputs overwritten. */
const ffmpegCommon = ['-nostdin', '-v', 'error', '-y'] as const;

/** ffmpeg as every pipeline runs it, to its end (args from a `buildXArgs`). */
export function runFfmpeg(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runProcess('ffmpeg', [...ffmpegCommon, ...args], options);
}

/** ffmpeg as every pipeline runs it, streaming (frames written to stdin, read from stdout). */
export function startFfmpeg(args: readonly string[], options: RunOptions = {}): RunningProcess {
  return startProcess('ffmpeg', [...ffmpegCommon, ...args], options);
}
