/**
 * `parallel: [steps]` runs a group of steps concurrently (their own `needs` still apply)
 * and completes with an object of their outputs by step id.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { failWith, instanceOutput } from './shared.ts';
import type { BlocksDoneContext, RawBlock, SchemaKit, StartOutcome, StepKind } from './types.ts';

export interface ParallelConfig {
  steps: unknown[];
  concurrency?: number;
  output?: unknown;
}

const BODY = 'body';
/** Configs written as a bare list: their steps sit at the kind key itself, which error positions must use. */
const fromShorthand = new WeakSet<object>();

export const parallelKind: StepKind<ParallelConfig> = {
  key: 'parallel',
  description: 'Runs a group of steps concurrently; the output maps each step id to its output.',

  schema(kit: SchemaKit) {
    const steps = kit.stepList.describe(
      'Steps of the group; they start together unless their `needs` say otherwise.',
    );
    const full = z
      .strictObject({
        steps,
        concurrency: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('How many steps of the group run at once; unlimited when absent.'),
        output: kit.template
          .optional()
          .describe(
            'Output of the group, evaluated with its steps’ outputs in scope; defaults to { stepId: output }.',
          ),
      })
      .describe('A parallel group with options.');
    return z
      .union([steps, full])
      .transform((value): ParallelConfig => {
        if (!Array.isArray(value)) return value as ParallelConfig;
        const config = { steps: value };
        fromShorthand.add(config);
        return config;
      })
      .describe(
        'A list of steps, or { steps, concurrency, output }.',
      ) as unknown as z.ZodType<ParallelConfig>;
  },

  blocks(config): RawBlock[] {
    // The loader also calls this with the raw (possibly invalid) value, where a shorthand is still a list.
    if (Array.isArray(config)) return [{ key: BODY, steps: config, path: [] }];
    const path = fromShorthand.has(config) ? [] : ['steps'];
    return [{ key: BODY, steps: config?.steps ?? [], path }];
  },

  start(ctx): StartOutcome {
    const outcome: StartOutcome = { type: 'blocks', instances: [{ blockKey: BODY, vars: {} }] };
    if (ctx.config.concurrency !== undefined) outcome.stepConcurrency = ctx.config.concurrency;
    return outcome;
  },

  onBlocksDone(ctx: BlocksDoneContext<ParallelConfig>): StartOutcome {
    const result = ctx.results[0];
    if (!result || result.status === 'failed') return failWith(result?.error, {});
    if (ctx.config.output !== undefined) {
      return {
        type: 'complete',
        output: instanceOutput(ctx as BlocksDoneContext<unknown>, result, ctx.config.output),
      };
    }
    const output: Record<string, JsonValue> = {};
    for (const id of ctx.blockStepIds(BODY)) {
      if (id in result.outputs) output[id] = result.outputs[id];
    }
    return { type: 'complete', output };
  },
};
