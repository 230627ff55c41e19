import { BatonError, type SerializedError } from '../errors.ts';
import { formatPosition, type SourcePosition } from './positions.ts';

/** The BatonErrors a script run can end with; every code here is documented in docs/scripts.md. */

export function scriptTimeout(timeoutMs: number): BatonError {
  return new BatonError(
    'SCRIPT_TIMEOUT',
    `script exceeded its time limit of ${timeoutMs} ms and was stopped`,
    {
      details: { timeoutMs },
    },
  );
}

export function scriptAborted(reason?: unknown): BatonError {
  const why = describeAbortReason(reason);
  return new BatonError('SCRIPT_ABORTED', `script was aborted${why ? `: ${why}` : ''}`, { retryable: true });
}

export function scriptMemory(memoryBytes: number, activity: string): BatonError {
  return new BatonError(
    'SCRIPT_MEMORY',
    `script exceeded its memory limit of ${memoryBytes} bytes while ${activity}`,
    { details: { memoryBytes } },
  );
}

export function scriptStackOverflow(stackBytes: number, position: SourcePosition | undefined): BatonError {
  const where = position ? ` at ${formatPosition(position)}` : '';
  return new BatonError(
    'SCRIPT_ERROR',
    `script overflowed its stack limit of ${stackBytes} bytes${where} (unbounded or too deep recursion)`,
    { details: { reason: 'stack_overflow', stackBytes, ...position } },
  );
}

/** `name` is undefined when the script threw something that is not an Error (a string, say). */
export function scriptThrew(
  name: string | undefined,
  message: string,
  position: SourcePosition | undefined,
  stack: string,
): BatonError {
  const where = position ? ` (${formatPosition(position)})` : '';
  const what = name === undefined ? `a non-Error value: ${message}` : `${name}: ${message}`;
  return new BatonError('SCRIPT_ERROR', `script threw ${what}${where}`, {
    details: { name: name ?? null, errorMessage: message, ...position, ...(stack ? { stack } : {}) },
  });
}

export function scriptNeverSettled(): BatonError {
  return new BatonError(
    'SCRIPT_ERROR',
    'script returned a promise that never settled (the sandbox has no timers or I/O that could settle it later)',
    { details: { reason: 'never_settled' } },
  );
}

export function scriptSyntax(message: string, position: SourcePosition | undefined): BatonError {
  const where = position ? ` at ${formatPosition(position)}` : '';
  return new BatonError('SCRIPT_SYNTAX', `script has a syntax error${where}: ${message}`, {
    details: { errorMessage: message, ...position },
  });
}

export function scriptOutput(message: string): BatonError {
  return new BatonError('SCRIPT_OUTPUT', message);
}

export function scriptInput(message: string): BatonError {
  return new BatonError('SCRIPT_INPUT', message);
}

/** The sandbox itself failed (worker crashed or could not start); the script may succeed on retry. */
export function sandboxFailure(message: string, cause?: unknown): BatonError {
  return new BatonError('SANDBOX_FAILURE', message, { retryable: true, cause });
}

export function fromSerialized(error: SerializedError): BatonError {
  return new BatonError(error.code, error.message, { retryable: error.retryable, details: error.details });
}

function describeAbortReason(reason: unknown): string {
  if (reason === undefined) return '';
  if (reason instanceof Error) return reason.message;
  return String(reason);
}
