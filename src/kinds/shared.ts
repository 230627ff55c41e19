/**
 * Small pieces the built-in kinds share: turning evaluated templates into JSON, building
 * fail outcomes, and finding a block's default output (its last step's output).
 */
import type { JsonValue, SerializedError } from '../errors.ts';
import type { StepDefinition } from '../language/model.ts';
import type { BlockInstanceResult, BlocksDoneContext, ExecuteContext, StartOutcome } from './types.ts';

/** Evaluated templates may yield `undefined` (a missing field); steps record `null` instead. */
export function asJson(value: unknown): JsonValue {
  return value === undefined ? null : (value as JsonValue);
}

/** The step's input with the secret references of `fields` (its kind's `secretFields`) resolved. */
export async function inputWithSecrets(ctx: ExecuteContext, fields: readonly string[]): Promise<JsonValue> {
  const { input, secrets } = ctx;
  if (!secrets || input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  let resolved = input;
  for (const field of fields) {
    const value = input[field];
    if (value === undefined) continue;
    const next = await secrets.resolve(value, field);
    if (next !== value) resolved = { ...resolved, [field]: next };
  }
  return resolved;
}

/** Evaluates an optional template; an absent one stays `undefined` without reaching the evaluator. */
export function evaluateOptional(ctx: { evaluate(value: unknown): unknown }, value: unknown): unknown {
  return value === undefined ? undefined : ctx.evaluate(value);
}

/**
 * Expression fields (`when`, `until`, `while`) accept a bare expression (`inputs.n > 2`) as well as
 * `${{ … }}`; the scheduler's `evaluate` reads strings as templates, so a bare one is wrapped first.
 */
export function expressionAsTemplate(value: string | boolean): string | boolean {
  if (typeof value !== 'string' || value.includes('${{')) return value;
  return `\${{ ${value} }}`;
}

/** Evaluates an expression field and tells whether it holds. */
export function holds(evaluate: (value: unknown) => unknown, expression: string | boolean): boolean {
  return isTruthy(evaluate(expressionAsTemplate(expression)));
}

/** Truthiness as in JavaScript, matching the expression language's operators. */
export function isTruthy(value: unknown): boolean {
  return Boolean(value);
}

/** A word for the JSON type of a value, for messages ("got a string"). */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing (undefined)';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)})`;
  if (typeof value === 'number') return `a number (${value})`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  return typeof value;
}

export function failOutcome(
  code: string,
  message: string,
  details?: Record<string, JsonValue>,
): StartOutcome {
  const error: SerializedError = { code, message, retryable: false };
  if (details) error.details = details;
  return { type: 'fail', error };
}

/** Re-raises a nested failure as this step's failure, adding context (item index, iteration…). */
export function failWith(error: SerializedError | undefined, extra: Record<string, JsonValue>): StartOutcome {
  const base: SerializedError = error ?? {
    code: 'BLOCK_FAILED',
    message: 'A nested step failed without reporting an error',
    retryable: false,
  };
  return { type: 'fail', error: { ...base, details: { ...(base.details ?? {}), ...extra } } };
}

/** Whether the loader kept a non-empty nested block under this key (step lists move from config to blocks). */
export function hasBlock(step: StepDefinition, key: string): boolean {
  return step.blocks.some((block) => block.key === key && block.steps.length > 0);
}

/** Output of the last step of a finished instance's block, or null when it has none (skipped or empty). */
export function lastStepOutput(ctx: BlocksDoneContext<unknown>, result: BlockInstanceResult): JsonValue {
  const ids = ctx.blockStepIds(result.blockKey);
  const lastId = ids[ids.length - 1];
  if (lastId === undefined) return null;
  return result.outputs[lastId] ?? null;
}

/** The instance's output: the kind's `output` template evaluated in the instance, else its last step's output. */
export function instanceOutput(
  ctx: BlocksDoneContext<unknown>,
  result: BlockInstanceResult,
  output: unknown,
): JsonValue {
  if (output !== undefined) return asJson(ctx.evaluateInInstance(output, result.index));
  return lastStepOutput(ctx, result);
}

/** Instances in index order, whatever order the scheduler collected them in. */
export function byIndex(results: BlockInstanceResult[]): BlockInstanceResult[] {
  return [...results].sort((a, b) => a.index - b.index);
}

export function noteNumber(note: Record<string, JsonValue>, key: string): number {
  const value = note[key];
  return typeof value === 'number' ? value : 0;
}
