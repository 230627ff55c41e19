// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/** `fail: <message>` stops the run (or the enclosing block) with a chosen error code. */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { asJson, evaluateOptional, failOutcome } from './shared.ts';
import type { SchemaKit, StepKind } from './types.ts';

export interface FailConfig {
  message: string;
  code?: string;
  details?: unknown;
}

export const DEFAULT_FAIL_CODE = 'WORKFLOW_FAIL';

export const failKind: StepKind<FailConfig> = {
  key: 'fail',
  description: 'Fails the step with a message and error code (not retried).',

  schema(kit: SchemaKit) {
    const message = kit.templateString.describe('Error message; may hold ${{ }} templates.');
    const full = z
      .strictObject({
        message,
        code: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'an error code is a word such as INVALID_ORDER')
          .optional()
          .describe(`Stable error code callers can branch on; defaults to ${DEFAULT_FAIL_CODE}.`),
        details: kit.template
          .optional()
          .describe('JSON object recorded as the error details; may hold templates.'),
      })
      .describe('Failure with an explicit code and optional details.');
    return z
      .union([message, full])
      .transform((value): FailConfig => (typeof value === 'string' ? { message: value } : value))
      .describe('An error message, or { message, code, details }.');
  },

  start(ctx) {
    const { config } = ctx;
    const evaluated = ctx.evaluate(config.message);
    const message = typeof evaluated === 'string' ? evaluated : JSON.stringify(asJson(evaluated));
    const details = evaluateOptional(ctx, config.details);
    const detailsObject =
      details !== undefined && details !== null
        ? typeof details === 'object' && !Array.isArray(details)
          ? (details as Record<string, JsonValue>)
          : { value: details as JsonValue }
        : undefined;
    return failOutcome(config.code ?? DEFAULT_FAIL_CODE, message, detailsObject);
  },
};
