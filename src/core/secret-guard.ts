/**
 * Where secret references may go. A step's outcome is recorded; a reference in it is only
 * useful where the worker swaps it for the value before a request (a kind's `secretFields`,
 * e.g. an http step's url, headers, query and body). Anywhere else — a `set` output, a script
 * input, an approval message — it would be passed on as a meaningless marker, so the step
 * fails instead, naming the secret and the field.
 */
import type { SerializedError } from '../errors.ts';
import type { StartOutcome, StepKind } from '../kinds/types.ts';
import { formatPath } from '../language/issues.ts';
import { findSecrets, type SecretUse, seal } from './secret-refs.ts';

export const SECRET_NOT_ALLOWED = 'SECRET_NOT_ALLOWED';

/** Checks an outcome against the references `issued` while it was decided; seals a task input that may keep them. */
export function guardOutcome(
  outcome: StartOutcome,
  kind: StepKind<unknown>,
  stepId: string,
  issued: ReadonlySet<string>,
): StartOutcome {
  if (issued.size === 0) return outcome;
  const uses = findSecrets(outcome, issued);
  if (uses.length === 0) return outcome;
  if (outcome.type === 'task') {
    const allowed = kind.secretFields ?? [];
    const misplaced = uses.find((use) => use.path[1] === undefined || !allowed.includes(String(use.path[1])));
    if (!misplaced) return { ...outcome, input: seal(outcome.input, issued) };
    return { type: 'fail', error: notAllowed(misplaced, `${kind.key} step "${stepId}"`, allowed) };
  }
  return { type: 'fail', error: notAllowed(uses[0], `${kind.key} step "${stepId}"`, []) };
}

/** The run's output is recorded too: a reference in it fails the run. */
export function guardRunOutput(output: unknown, issued: ReadonlySet<string>): SerializedError | undefined {
  if (issued.size === 0) return undefined;
  const [use] = findSecrets({ output }, issued);
  return use ? notAllowed(use, 'the workflow', []) : undefined;
}

function notAllowed(use: SecretUse, owner: string, allowed: readonly string[]): SerializedError {
  const field = formatPath(use.path) || 'value';
  const where = allowed.length > 0 ? `; this step resolves secrets only in ${allowed.join(', ')}` : '';
  return {
    code: SECRET_NOT_ALLOWED,
    message:
      `secret "${use.name}" reaches ${field} of ${owner}, where it cannot be used${where}. Secrets are ` +
      'resolved only where a request is sent (http steps: url, headers, query, body; agent HTTP tools; ' +
      'MCP server headers and env) and never in values that are recorded',
    retryable: false,
    details: { secret: use.name, field },
  };
}
