/**
 * Exit codes and error reporting. Scripts branch on the exit code: 0 success, 1 the run
 * failed or was cancelled, 2 the request was wrong (bad file, inputs, options, unknown
 * run), 3 anything else (store unreachable, unexpected errors), 130 interrupted.
 */
import { BatonError } from '../errors.ts';
import { formatIssues, type Issue } from '../language/index.ts';
import type { Style } from './format.ts';

export const EXIT = { ok: 0, runFailed: 1, usage: 2, error: 3, interrupted: 130 } as const;

/** Error codes that mean "the request was wrong", answered with exit code 2. */
const USAGE_CODES = new Set([
  'CLI_USAGE',
  'WORKFLOW_INVALID',
  'INVALID_INPUT',
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'WORKFLOW_NOT_FOUND',
  'RUN_NOT_FOUND',
  'APPROVAL_NOT_PENDING',
  'APPROVAL_AMBIGUOUS',
  'RUN_FINISHED',
  'RUN_NOT_PAUSED',
  'RUN_ALREADY_PAUSED',
  'RUN_NOT_RETRYABLE',
  'INVALID_STORE_URL',
]);

/** A mistake in how the command was called. */
export function usageError(message: string, details: Record<string, unknown> = {}): BatonError {
  return new BatonError('CLI_USAGE', message, { details });
}

export function exitCodeFor(error: unknown): number {
  return error instanceof BatonError && USAGE_CODES.has(error.code) ? EXIT.usage : EXIT.error;
}

/** One readable block per error: never a stack for a BatonError, one line plus a --debug hint otherwise. */
export function describeError(error: unknown, style: Style, debug: boolean): string {
  if (error instanceof BatonError) {
    const issues = error.details.issues;
    if (error.code === 'WORKFLOW_INVALID' && Array.isArray(issues) && issues.length > 0) {
      const lines = formatIssueLines(issues as Issue[]);
      return `${style.red('error:')} ${String(error.details.summary ?? 'invalid workflow')}\n${lines.map((line) => `  ${line}`).join('\n')}`;
    }
    const [first, ...rest] = error.message.split('\n');
    const text = [
      `${style.red('error:')} ${first} ${style.dim(`[${error.code}]`)}`,
      ...rest.map((line) => `  ${line}`),
    ].join('\n');
    return debug && error.stack ? `${text}\n${style.dim(error.stack)}` : text;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (debug) return `${style.red('error:')} ${error instanceof Error && error.stack ? error.stack : message}`;
  return `${style.red('error:')} ${firstLine(message)}\n${style.dim('(run again with --debug for the stack trace)')}`;
}

/** `file:line:col: path: message`, and the suggestion when the message does not already give it. */
export function formatIssueLines(
  issues: readonly Issue[],
  pathPrefix: readonly (string | number)[] = [],
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    lines.push(formatIssues([{ ...issue, path: [...pathPrefix, ...issue.path] }]));
    if (issue.suggestion !== undefined && !issue.message.includes(`"${issue.suggestion}"`)) {
      lines.push(`  did you mean "${issue.suggestion}"?`);
    }
  }
  return lines;
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
