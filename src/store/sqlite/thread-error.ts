/**
 * Errors crossing the writer thread's message port lose their class, so they travel as
 * plain data and are rebuilt on the other side: a BatonError stays a BatonError with its
 * code, and a SQLite error keeps its `code` and `errcode` for the callers that branch on them.
 */
import { BatonError, type ErrorDetails } from '../../errors.ts';

export interface ThreadError {
  baton: boolean;
  message: string;
  code?: string;
  errcode?: number;
  retryable?: boolean;
  details?: ErrorDetails;
}

export function toThreadError(error: unknown): ThreadError {
  if (error instanceof BatonError)
    return {
      baton: true,
      message: error.message,
      code: error.code,
      retryable: error.retryable,
      details: error.details,
    };
  const fields = (error ?? {}) as { code?: unknown; errcode?: unknown };
  return {
    baton: false,
    message: error instanceof Error ? error.message : String(error),
    code: typeof fields.code === 'string' ? fields.code : undefined,
    errcode: typeof fields.errcode === 'number' ? fields.errcode : undefined,
  };
}

export function fromThreadError(error: ThreadError): Error {
  if (error.baton)
    return new BatonError(error.code ?? 'STORE_INTERNAL', error.message, {
      retryable: error.retryable,
      details: error.details,
    });
  return Object.assign(new Error(error.message), { code: error.code, errcode: error.errcode });
}
