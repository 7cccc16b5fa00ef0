/**
 * What an error nobody expected becomes in an answer or a task's errorMsg, which clients read: a
 * full disk gets its own code (the operator's to fix), anything else the generic internal error
 * with a reason that holds no server path and no stack, only the first line of what went wrong.
 */
import { AppError } from './app-error.js';

/** Error codes (Node's errno and SQLite's) that mean the disk has no room left. */
const diskFullCodes: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/**
 * A child process (ffmpeg, Festival) reports a full disk only in its own words on stderr; there is
 * no code to read, so its text is the one place a message is looked at.
 */
const diskFullText = /No space left on device|Disk quota exceeded/i;

/** The error or one of its causes says the disk is full. */
export function isDiskFull(error: unknown): boolean {
  for (let at = error, depth = 0; at instanceof Error && depth < 8; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && diskFullCodes.has(code)) return true;
    const stderr = (at as { stderr?: unknown }).stderr;
    if (typeof stderr === 'string' && diskFullText.test(stderr)) return true;
    at = at.cause;
  }
  return false;
}

/**
 * Absolute paths (a slash at the start of a word, not inside a URL or a fraction) and the `at ...`
 * frames of a stack: the server's layout is none of the client's business.
 */
const absolutePath = /(?<![\w.:/@%-])\/(?:[^\s'"`,;()[\]<>{}]+)/g;
const longestReason = 300;

/**
 * One line of `message`, with every absolute path cut to its last name and the length capped. The
 * data directory is taken out first, whole, since its name may hold spaces a path pattern stops at.
 */
export function scrubReason(message: string, dataDir?: string): string {
  const firstLine = message.split('\n').find((line) => line.trim() !== '') ?? '';
  const outside = dataDir ? firstLine.split(dataDir).join('/data') : firstLine;
  const withoutPaths = outside.replace(absolutePath, (found) => {
    const name = found.replace(/\/+$/, '').split('/').pop() ?? '';
    return name === '' ? '…' : `…/${name}`;
  });
  return withoutPaths.length > longestReason
    ? `${withoutPaths.slice(0, longestReason)}…`
    : withoutPaths;
}

/** The catalog error for anything thrown that is not already one. */
export function unexpectedError(error: unknown, dataDir?: string): AppError {
  if (error instanceof AppError) return error;
  if (isDiskFull(error)) return new AppError('diskFull', {}, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new AppError(
    'internal',
    { reason: scrubReason(message, dataDir) || 'unknown' },
    { cause: error },
  );
}
