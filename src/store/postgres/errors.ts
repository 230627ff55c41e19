/**
 * Driver failures become BatonErrors: a lost or refused connection is STORE_UNAVAILABLE and
 * retryable (the database may come back), anything else is STORE_QUERY_FAILED with the
 * SQLSTATE in `details`, so callers branch on codes rather than driver messages.
 */
import { BatonError } from '../../errors.ts';

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** SQLSTATEs that mean "this connection or server is gone or not accepting us right now". */
const CONNECTION_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
  'Client has encountered a connection error',
  'Connection ended',
  'Cannot use a pool after calling end',
];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isConnectionError(error: unknown): boolean {
  if (error instanceof BatonError) return error.code === 'STORE_UNAVAILABLE';
  const code = codeOf(error);
  if (code && (CONNECTION_ERRNOS.has(code) || CONNECTION_SQLSTATES.has(code))) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (CONNECTION_MESSAGES.some((fragment) => message.includes(fragment))) return true;
  const nested = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(nested) && nested.some(isConnectionError);
}

/** SQLSTATE of a unique violation, e.g. two commits appending the same event sequence number. */
export const UNIQUE_VIOLATION = '23505';
export const INVALID_TEXT_REPRESENTATION = '22P02';
/** Deadlock or serialization failure: the transaction lost a race and may simply be tried again. */
export function isRaceLost(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40P01' || code === '40001';
}

export function sqlState(error: unknown): string | undefined {
  return codeOf(error);
}

export function storeError(error: unknown, operation: string): BatonError {
  if (error instanceof BatonError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const sqlstate = codeOf(error);
  if (isConnectionError(error)) {
    return new BatonError(
      'STORE_UNAVAILABLE',
      `PostgreSQL store: ${operation} failed, the database is unreachable: ${message}`,
      {
        retryable: true,
        details: { operation, ...(sqlstate ? { sqlstate } : {}) },
        cause: error,
      },
    );
  }
  return new BatonError('STORE_QUERY_FAILED', `PostgreSQL store: ${operation} failed: ${message}`, {
    retryable: isRaceLost(error),
    details: { operation, ...(sqlstate ? { sqlstate } : {}) },
    cause: error,
  });
}
