import { errorCatalog, formatMessage, type CatalogEntry, type ErrorKey } from './catalog.js';

/** One bad field of a request, named in English for the `detail` of a 3333 answer. */
export interface FieldProblem {
  readonly field: string;
  readonly problem: string;
}

/**
 * A domain error: a catalog key plus the values its message needs. Domain code throws these;
 * only the HTTP layer turns them into status codes and envelopes.
 */
export class AppError extends Error {
  readonly key: ErrorKey;
  readonly entry: CatalogEntry;
  readonly params: Readonly<Record<string, unknown>>;
  readonly detail: readonly FieldProblem[] | undefined;
  /** Retrying will not help (bad input); the task runner fails at once. */
  readonly unrecoverable: boolean;

  constructor(
    key: ErrorKey,
    params: Record<string, unknown> = {},
    options: { detail?: readonly FieldProblem[]; cause?: unknown; recoverable?: boolean } = {},
  ) {
    const entry = errorCatalog[key];
    super(formatMessage(entry.message, params) || key, { cause: options.cause });
    this.name = 'AppError';
    this.key = key;
    this.entry = entry;
    this.params = Object.freeze({ ...params });
    this.detail = options.detail;
    this.unrecoverable = !(options.recoverable ?? entry.http >= 500);
  }

  get code(): number {
    return this.entry.code;
  }

  get fix(): string {
    return formatMessage(this.entry.fix, this.params);
  }
}

export function badParams(detail: readonly FieldProblem[]): AppError {
  return new AppError('badParams', {}, { detail });
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
