// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * The zod schemas of the workflow file's own fields (everything except the step kinds'
 * configs, which the kinds describe). Used both to validate and to export JSON Schema.
 */
import { z } from 'zod';
import type { SchemaKit } from '../kinds/types.ts';

export const WORKFLOW_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const STEP_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Names that would reach an object's prototype machinery when used as keys of outputs or inputs. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isUsableName(name: string, pattern: RegExp): boolean {
  return pattern.test(name) && !RESERVED_NAMES.has(name);
}

/** Top-level sections owned by later features; accepted and kept untouched in `sections`. */
export const SECTION_KEYS = ['agents', 'budget', 'triggers', 'secrets', 'tools'] as const;

export const INPUT_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'any'] as const;

/** JSON Schema keywords an input spec may carry beyond type/enum/default; they end up in `InputSpec.schema`. */
export const INPUT_SCHEMA_KEYWORDS = [
  'items',
  'properties',
  'additionalProperties',
  'required',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'uniqueItems',
] as const;

export const stepIdSchema = z
  .string()
  .regex(STEP_ID, {
    error: 'a step id must start with a letter or "_" and contain only letters, digits, "_" and "-"',
  })
  .refine((id) => !RESERVED_NAMES.has(id), { error: 'this name is reserved; choose another step id' })
  .describe('Step id, unique in the whole workflow; other steps refer to it in `needs` and as `steps.<id>`.');

const inputTypeSchema = z.enum(INPUT_TYPES).describe('Type of the input value.');

const jsonObject = z.record(z.string(), z.json());

export const inputSpecObjectSchema = z
  .strictObject({
    type: inputTypeSchema.optional(),
    description: z
      .string()
      .describe('What the input is for (shown by `baton run --help` and the UI).')
      .optional(),
    required: z
      .union([z.boolean(), z.array(z.string())])
      .describe(
        'true/false: whether a run must supply the input (default: true unless a default is given). ' +
          'A list of names: the JSON Schema `required` of an object input.',
      )
      .optional(),
    default: z.json().describe('Value used when the run does not supply the input.').optional(),
    enum: z.array(z.json()).min(1).describe('The only allowed values.').optional(),
    items: jsonObject.describe('JSON Schema of array items.').optional(),
    properties: z.record(z.string(), jsonObject).describe('JSON Schema of object properties.').optional(),
    additionalProperties: z.union([z.boolean(), jsonObject]).optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    exclusiveMinimum: z.number().optional(),
    exclusiveMaximum: z.number().optional(),
    multipleOf: z.number().positive().optional(),
    minLength: z.int().min(0).optional(),
    maxLength: z.int().min(0).optional(),
    pattern: z.string().describe('Regular expression a string input must match.').optional(),
    format: z
      .string()
      .describe('JSON Schema format of a string input: email, uri, date-time, uuid…')
      .optional(),
    minItems: z.int().min(0).optional(),
    maxItems: z.int().min(0).optional(),
    uniqueItems: z.boolean().optional(),
  })
  .describe('An input of the workflow.');

export const inputSpecSchema = z
  .union([
    inputTypeSchema.describe('Shorthand: a required input of this type.'),
    z.null().describe('Shorthand: a required input of any type.'),
    inputSpecObjectSchema,
  ])
  .describe('An input: a type name (shorthand for a required input of that type) or a full specification.');

export function defaultsSchema(kit: SchemaKit) {
  return z
    .strictObject({
      retry: kit.retry.optional(),
      timeout: kit.duration.describe('Per-attempt timeout of every step that sets none.').optional(),
    })
    .describe('Defaults applied to every step, including steps nested in blocks.');
}

/** Fields every step has, whatever its kind. */
export function commonStepFields(kit: SchemaKit) {
  return {
    id: stepIdSchema,
    name: z.string().describe('Display name.').optional(),
    description: z.string().describe('What the step does.').optional(),
    needs: z
      .union([stepIdSchema, z.array(stepIdSchema)])
      .describe(
        'Steps (in the same block) that must finish first. References to steps.<id> add needs implicitly.',
      )
      .optional(),
    if: kit.expression
      .describe('Run the step only when this expression is true; otherwise it is skipped.')
      .optional(),
    retry: kit.retry.optional(),
    timeout: kit.duration.describe('Per-attempt timeout.').optional(),
    continueOnError: z
      .boolean()
      .describe('When true, a failure of this step does not fail the run; dependants still run.')
      .optional(),
    queue: z
      .string()
      .regex(QUEUE_NAME, {
        error:
          'a queue name must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
      })
      .describe(
        'Queue of the step\'s task (default "default"): workers started with --queue take only their queues, and a queue may have a cluster-wide concurrency limit.',
      )
      .optional(),
    priority: z
      .int({ error: 'expected a whole number' })
      .min(-1000, { error: 'priority must be between -1000 and 1000' })
      .max(1000, { error: 'priority must be between -1000 and 1000' })
      .describe('Claim order among due tasks: higher first (default 0).')
      .optional(),
  };
}

export const COMMON_STEP_KEYS = [
  'id',
  'name',
  'description',
  'needs',
  'if',
  'retry',
  'timeout',
  'continueOnError',
  'queue',
  'priority',
];

/** Top-level fields of the document except `steps` (validated step by step) and the sections. */
export function documentFields(kit: SchemaKit) {
  return {
    name: z
      .string()
      .regex(WORKFLOW_NAME, {
        error:
          'a workflow name must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
      })
      .describe('Name of the workflow; runs are started by name.'),
    version: z
      .union([z.string().min(1), z.number()])
      .describe('Version of this definition (default "1"); a run is pinned to the version it started with.')
      .optional(),
    description: z.string().describe('What the workflow does.').optional(),
    inputs: z
      .record(z.string(), inputSpecSchema)
      .describe('Inputs a run is started with, by name.')
      .optional(),
    defaults: defaultsSchema(kit).optional(),
    concurrency: z
      .int({ error: 'expected a whole number' })
      .min(1, { error: 'concurrency must be at least 1' })
      .describe('Maximum number of steps of one run executing at once.')
      .optional(),
    limits: z
      .strictObject({
        concurrentSteps: z
          .int({ error: 'expected a whole number' })
          .min(1, { error: 'concurrentSteps must be at least 1' })
          .describe('Most steps of this workflow executing at once across all its runs and all workers.')
          .optional(),
      })
      .describe("Cluster-wide limits of this workflow, enforced by the workers' claims.")
      .optional(),
    timeout: kit.duration.describe('Timeout of the whole run.').optional(),
    output: kit.template
      .describe('Output of the run: any value, usually a ${{ steps.<id>.output }} template.')
      .optional(),
    metadata: z.record(z.string(), z.json()).describe('Free-form data kept with the definition.').optional(),
  };
}

export const SECTION_DESCRIPTIONS: Record<(typeof SECTION_KEYS)[number], string> = {
  agents: 'Agent roles (model, instructions, tools) defined once and used by agent steps.',
  budget: 'Spending limits of a run (tokens, USD) and what happens when they are exceeded.',
  triggers: 'Cron schedules and webhooks that start runs.',
  secrets:
    'Secrets the workflow reads as ${{ secrets.NAME }}: a list of names or a map of name to description; ' +
    'resolved by the worker when a request is sent, never stored.',
  tools: 'Tools available to agents.',
};
