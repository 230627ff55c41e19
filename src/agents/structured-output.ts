/**
 * Structured output: the model's final text must be JSON that satisfies the step's JSON
 * Schema. Validation uses ajv (all errors, so a repair turn can list every problem); the
 * text may be wrapped in a Markdown code fence, as smaller models often do.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JsonValue } from '../errors.ts';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    // Draft-07 ajv reads 2020-12 schemas (as zod emits them) fine once the meta-schema pointer is dropped.
    const { $schema: _metaSchema, ...rest } = schema;
    validate = ajv.compile(rest);
    validators.set(key, validate);
  }
  return validate;
}

/** Why `schema` is not a usable JSON Schema, or undefined when ajv compiles it. */
export function jsonSchemaProblem(schema: Record<string, unknown>): string | undefined {
  try {
    validatorFor(schema);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export type OutputCheck = { ok: true; value: JsonValue } | { ok: false; errors: string[] };

export function checkStructuredOutput(text: string, schema: Record<string, unknown>): OutputCheck {
  const candidate = unfence(text.trim());
  let value: JsonValue;
  try {
    value = JSON.parse(candidate) as JsonValue;
  } catch (error) {
    const excerpt = candidate.length > 80 ? `${candidate.slice(0, 80)}…` : candidate;
    return {
      ok: false,
      errors: [`the reply is not JSON (${(error as Error).message}): ${JSON.stringify(excerpt)}`],
    };
  }
  const errors = schemaErrors(schema, value);
  return errors.length === 0 ? { ok: true, value } : { ok: false, errors };
}

/** What is wrong with `value` under `schema`, one sentence per problem; empty when it is valid. */
export function schemaErrors(schema: Record<string, unknown>, value: unknown): string[] {
  const validate = validatorFor(schema);
  return validate(value) ? [] : (validate.errors ?? []).map(describeError);
}

function unfence(text: string): string {
  const fenced = /^```[a-zA-Z]*\s*\n([\s\S]*?)\n?```$/.exec(text);
  return fenced ? fenced[1].trim() : text;
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'the value' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    return `${where} has an unexpected property "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (error.keyword === 'enum') {
    return `${where} must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** The user message of the one repair turn: what was wrong and what to send instead. */
export function repairPrompt(errors: readonly string[], schema: Record<string, unknown>): string {
  return [
    'Your previous reply did not match the required JSON Schema:',
    ...errors.map((error) => `- ${error}`),
    '',
    'Reply again with only a JSON value (no prose, no code fence) that satisfies this schema:',
    JSON.stringify(schema),
  ].join('\n');
}
