// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * The SchemaKit handed to step kinds: shared building blocks so every kind reports
 * durations, templates and retry policies the same way and exports the same JSON Schema.
 */
import { z } from 'zod';
import type { SchemaKit } from '../kinds/types.ts';
import { parseDuration } from '../util/duration.ts';

const TEMPLATE_MARK = /\$\{\{/;

/** Schemas created as `kit.expression`, so the checker can tell expression fields from template fields. */
const expressionSchemas = new WeakSet<object>();

/** Parses a duration inside a zod transform, reporting a negative or unreadable value as an issue. */
function durationIn(value: string | number, context: z.RefinementCtx, unreadable: string): number {
  if (typeof value === 'number' && value < 0) {
    context.addIssue({
      code: 'custom',
      message: `a duration must not be negative, got ${value}`,
      input: value,
    });
    return z.NEVER;
  }
  try {
    return parseDuration(value);
  } catch {
    context.addIssue({ code: 'custom', message: `"${value}" ${unreadable}`, input: value });
    return z.NEVER;
  }
}

export const durationSchema = z
  .union([z.string(), z.number()], {
    error: 'expected a duration such as "500ms", "30s", "5m", "2h" or a number of milliseconds',
  })
  .transform((value, context) =>
    durationIn(
      value,
      context,
      'is not a duration; expected e.g. 500ms, 30s, 5m, 2h, 1d or a number of milliseconds',
    ),
  )
  .meta({
    description: 'A duration: "500ms", "30s", "5m", "2h", "1d", "1h30m", or a number of milliseconds.',
  });

/** One schema rather than a union of two, so a bad value gets the duration message, not a regex complaint. */
const durationOrTemplateSchema = z
  .union([z.string(), z.number()], {
    error: 'expected a duration such as "30s" or "5m", a number of milliseconds, or a ${{ }} template',
  })
  .transform((value, context): number | string =>
    typeof value === 'string' && TEMPLATE_MARK.test(value)
      ? value
      : durationIn(
          value,
          context,
          'is neither a duration (e.g. 30s, 5m, 2h, or milliseconds) nor a ${{ }} template',
        ),
  )
  .meta({
    description:
      'A duration ("30s", "5m", milliseconds) or a ${{ }} template that evaluates to one at run time.',
  });

export const retrySchema = z
  .strictObject({
    attempts: z
      .int({ error: 'expected a whole number of attempts' })
      .min(1, { error: 'attempts must be at least 1 (1 means no retry)' })
      .max(100, { error: 'attempts must be at most 100' })
      .describe('Total attempts including the first; 1 means no retry.')
      .optional(),
    backoff: z
      .enum(['exponential', 'linear', 'fixed'])
      .describe('How the delay grows between attempts.')
      .optional(),
    delay: durationSchema.describe('Delay before the first retry.').optional(),
    maxDelay: durationSchema.describe('Upper bound of any delay between attempts.').optional(),
    factor: z
      .number()
      .positive({ error: 'factor must be greater than 0' })
      .describe('Growth factor of exponential backoff.')
      .optional(),
    jitter: z
      .enum(['none', 'full', 'equal'])
      .describe('Randomisation of delays: none, full (0..delay) or equal (delay/2..delay).')
      .optional(),
    nonRetryable: z
      .array(z.string())
      .describe('Error codes that are never retried (errors flagged not retryable are never retried either).')
      .optional(),
  })
  .describe(
    'Retry policy; unset fields come from defaults.retry, then the step kind, then built-in defaults.',
  );

export function createSchemaKit(stepList: z.ZodType): SchemaKit {
  const expression = z
    .union([z.string(), z.boolean()], {
      error: 'expected an expression (a string such as "${{ … }}") or a boolean',
    })
    .describe(
      'An expression: "${{ steps.a.output.ok }}", a bare expression such as "steps.a.output.ok", or a boolean.',
    );
  expressionSchemas.add(expression);
  const templateString = z.string().describe('Text that may contain ${{ expression }} templates.');
  return {
    stepList,
    template: z.json().describe('Any JSON value; strings may contain ${{ expression }} templates.'),
    templateString,
    expression,
    duration: durationSchema,
    durationOrTemplate: durationOrTemplateSchema,
    retry: retrySchema,
  };
}

/** True when `schema` is (a described/refined copy of) a `kit.expression`. */
export function isExpressionSchema(schema: unknown): boolean {
  let current = schema as { _zod?: { parent?: unknown } } | undefined;
  for (let depth = 0; current && depth < 20; depth++) {
    if (expressionSchemas.has(current)) return true;
    current = current._zod?.parent as typeof current;
  }
  return false;
}
