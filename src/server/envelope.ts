import type { FastifyError } from 'fastify';
import { AppError, type FieldProblem, isAppError } from '../errors/app-error.js';
import { unexpectedError } from '../errors/unexpected.js';

export interface Envelope<T> {
  readonly code: number;
  readonly message: string;
  readonly data: T;
}

/** The success envelope every JSON answer uses. */
export function ok<T>(data: T): Envelope<T> {
  return { code: 0, message: 'success', data };
}

interface ValidationItem {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function fieldOf(item: ValidationItem, context: string | undefined): string {
  const base = (item.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const missing = item.params?.missingProperty;
  const extra = item.params?.additionalProperty;
  const name = typeof missing === 'string' ? missing : typeof extra === 'string' ? extra : '';
  const path = [base, name].filter((part) => part !== '').join('.');
  return path || (context === 'body' ? 'body' : (context ?? 'request'));
}

/** Maps whatever a route threw to the catalog's error; unknown errors become `internal`. */
export function toAppError(
  error: unknown,
  limits: { bodyLimitBytes: number; uploadLimitBytes: number; dataDir?: string },
): AppError {
  if (isAppError(error)) return error;
  const fastifyError = error as Partial<FastifyError> & {
    validation?: ValidationItem[];
    validationContext?: string;
  };
  if (Array.isArray(fastifyError.validation)) {
    const detail: FieldProblem[] = fastifyError.validation.map((item) => ({
      field: fieldOf(item, fastifyError.validationContext),
      problem: item.message ?? 'is invalid',
    }));
    return new AppError('badParams', {}, { detail });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(
        'badParams',
        {},
        { detail: [{ field: 'Content-Type', problem: 'must be application/json' }] },
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('badParams', {}, { detail: [{ field: 'body', problem: 'is empty' }] });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(
        'badParams',
        {},
        { detail: [{ field: 'body', problem: 'is not valid JSON' }] },
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payloadTooLarge', { limitBytes: limits.bodyLimitBytes });
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('fileTooLarge', { limitBytes: limits.uploadLimitBytes });
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError(
        'badParams',
        {},
        { detail: [{ field: 'file', problem: fastifyError.message ?? 'bad multipart body' }] },
      );
    default:
      break;
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError(
      'badParams',
      {},
      { detail: [{ field: 'body', problem: 'is not valid JSON' }] },
    );
  }
  if (isConnectionLoss(error)) return new AppError('databaseUnavailable');
  return unexpectedError(error, limits.dataDir);
}

/** Postgres's codes for a server that is gone, going, or not taking connections. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** Whether an error says the database went away (not that a query was wrong). */
function isConnectionLoss(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && connectionCodes.has(code)) ||
    (typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect/.test(message))
  );
}

/** The error envelope: the catalog's code and message, the fix, and `detail` for 3333. */
export function errorBody(
  error: AppError,
): Envelope<null> & { fix: string; detail?: readonly FieldProblem[] } {
  return {
    code: error.code,
    message: error.message,
    data: null,
    fix: error.fix,
    ...(error.detail ? { detail: error.detail } : {}),
  };
}
