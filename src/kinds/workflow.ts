// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/** `workflow: <name>` starts a child run and completes with its output. */
import { z } from 'zod';
import { asJson, evaluateOptional } from './shared.ts';
import type { SchemaKit, StepKind } from './types.ts';

export interface WorkflowConfig {
  name: string;
  version?: string;
}

export const workflowKind: StepKind<WorkflowConfig> = {
  key: 'workflow',
  description: "Runs another registered workflow as a child run; the step's output is the child's output.",

  schema() {
    const name = z
      .string()
      .trim()
      .min(1, 'a workflow step needs the name of a workflow')
      .describe('Name of the child workflow.');
    const full = z
      .strictObject({
        name,
        version: z
          .union([z.string().min(1), z.number()])
          .transform(String)
          .optional()
          .describe('Definition version to run; defaults to the latest registered version.'),
      })
      .describe('Child workflow pinned to a version.');
    return z
      .union([name, full])
      .transform((value): WorkflowConfig => (typeof value === 'string' ? { name: value } : value))
      .describe('A workflow name, or { name, version }.');
  },

  extras(kit: SchemaKit) {
    return {
      input: kit.template
        .optional()
        .describe("The child run's inputs (an object); may hold ${{ }} templates."),
    };
  },

  start(ctx) {
    const input = asJson(evaluateOptional(ctx, ctx.step.extras.input));
    const { name, version } = ctx.config;
    return version === undefined
      ? { type: 'child', workflow: name, input: input ?? {} }
      : { type: 'child', workflow: name, version, input: input ?? {} };
  },
};
