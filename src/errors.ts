/**
 * Typed errors with stable codes. Every error that crosses a module boundary is a
 * BatonError so callers (CLI, API, retry policy) can branch on `code` and `retryable`
 * instead of parsing messages.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ErrorDetails {
  [key: string]: unknown;
}

export class BatonError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: ErrorDetails;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatonError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      details: this.details as Record<string, JsonValue>,
    };
  }
}

/** The shape an error takes in history, task results and API output. */
export interface SerializedError {
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, JsonValue>;
}

/** Turns anything thrown by user code into a SerializedError; unknown errors are retryable. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof BatonError) return error.toJSON();
  if (error instanceof Error) {
    const maybeCode = (error as { code?: unknown }).code;
    const code = typeof maybeCode === 'string' ? maybeCode : 'HANDLER_ERROR';
    const retryableFlag = (error as { retryable?: unknown }).retryable;
    return {
      code,
      message: error.message,
      retryable: typeof retryableFlag === 'boolean' ? retryableFlag : true,
    };
  }
  return { code: 'HANDLER_ERROR', message: String(error), retryable: true };
}
