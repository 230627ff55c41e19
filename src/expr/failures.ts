import { BatonError } from '../errors.ts';

/** The error codes this module throws; none of them is retryable. */
export const EXPR_SYNTAX = 'EXPR_SYNTAX';
export const EXPR_UNKNOWN_NAME = 'EXPR_UNKNOWN_NAME';
export const EXPR_UNKNOWN_FUNCTION = 'EXPR_UNKNOWN_FUNCTION';
export const EXPR_RUNTIME = 'EXPR_RUNTIME';

const QUOTED_SOURCE_LIMIT = 200;

/** Quotes an expression for a message, shortened so a huge template does not flood logs. */
export function quoteSource(source: string): string {
  const shown = source.length > QUOTED_SOURCE_LIMIT ? source.slice(0, QUOTED_SOURCE_LIMIT) + '…' : source;
  return JSON.stringify(shown);
}

/**
 * A compile-time error located in `source`. `index` is 0-based; the message and details carry the 1-based
 * column so users can count characters in the string they wrote.
 */
export function locatedError(
  code: string,
  problem: string,
  source: string,
  index: number,
  extra: Record<string, unknown> = {},
  hint = '',
): BatonError {
  const column = Math.max(0, Math.min(index, source.length)) + 1;
  const message = `${problem} at column ${column} in expression ${quoteSource(source)}${hint}`;
  return new BatonError(code, message, {
    retryable: false,
    details: { expression: source, column, ...extra },
  });
}

export function syntaxError(problem: string, source: string, index: number): BatonError {
  return locatedError(EXPR_SYNTAX, problem, source, index);
}

/**
 * Thrown by built-ins and operators while evaluating. It does not know the expression; the top-level
 * evaluator rethrows it through `withExpression` so the final message names the expression.
 */
export function runtimeFault(message: string, details: Record<string, unknown> = {}): BatonError {
  return new BatonError(EXPR_RUNTIME, message, { retryable: false, details });
}

/**
 * Turns anything thrown while evaluating `source` into an EXPR_RUNTIME error naming the expression.
 * BatonErrors with other codes (e.g. thrown on purpose by a caller-supplied function) pass through untouched.
 */
export function withExpression(error: unknown, source: string): BatonError {
  if (error instanceof BatonError) {
    if (error.code !== EXPR_RUNTIME || 'expression' in error.details) return error;
    return new BatonError(EXPR_RUNTIME, `${error.message} in expression ${quoteSource(source)}`, {
      retryable: false,
      details: { ...error.details, expression: source },
      cause: error.cause,
    });
  }
  const reason =
    error instanceof RangeError && /call stack/i.test(error.message)
      ? 'Evaluation nested too deeply'
      : `Evaluation failed: ${error instanceof Error ? error.message : String(error)}`;
  return new BatonError(EXPR_RUNTIME, `${reason} in expression ${quoteSource(source)}`, {
    retryable: false,
    details: { expression: source },
    cause: error,
  });
}
