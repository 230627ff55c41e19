/**
 * `loop: { steps, until | while, maxIterations }` runs its body again and again, one
 * iteration at a time. Inside the body `loop.index` is the 0-based iteration and
 * `loop.previous` the previous iteration's output (null at first). Always bounded.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { failOutcome, failWith, holds, instanceOutput, noteNumber } from './shared.ts';
import type { BlocksDoneContext, RawBlock, SchemaKit, StartOutcome, StepKind } from './types.ts';

export interface LoopConfig {
  steps: unknown[];
  until?: string | boolean;
  while?: string | boolean;
  maxIterations: number;
  onMaxIterations: 'complete' | 'fail';
  output?: unknown;
}

export const MAX_LOOP_ITERATIONS = 10_000;
const BODY = 'body';

export const loopKind: StepKind<LoopConfig> = {
  key: 'loop',
  description: 'Repeats its steps until a condition holds (or while one holds), at most maxIterations times.',

  schema(kit: SchemaKit) {
    return z
      .strictObject({
        steps: kit.stepList.describe(
          'The loop body, run once per iteration; sees `loop.index` and `loop.previous`.',
        ),
        until: kit.expression
          .optional()
          .describe(
            'Checked after each iteration with the body’s outputs in scope; the loop ends when it is true.',
          ),
        while: kit.expression
          .optional()
          .describe(
            'Checked before each iteration with `loop.index` and `loop.previous`; the loop ends when it is false.',
          ),
        maxIterations: z
          .number()
          .int()
          .min(1)
          .max(MAX_LOOP_ITERATIONS)
          .describe(`Hard bound on iterations (1–${MAX_LOOP_ITERATIONS}); required so a loop always ends.`),
        onMaxIterations: z
          .enum(['complete', 'fail'])
          .default('complete')
          .describe(
            'When maxIterations is reached: complete with the last output (default) or fail with LOOP_MAX_ITERATIONS.',
          ),
        output: kit.template
          .optional()
          .describe(
            'Output of each iteration (and of the loop, from the last one); defaults to the last body step’s output.',
          ),
      })
      .describe('A bounded loop.') as unknown as z.ZodType<LoopConfig>;
  },

  blocks(config): RawBlock[] {
    return [{ key: BODY, steps: config?.steps ?? [], path: ['steps'] }];
  },

  blockVariables() {
    return ['loop'];
  },

  start(ctx): StartOutcome {
    const first = { index: 0, previous: null };
    if (
      ctx.config.while !== undefined &&
      !holds((v) => ctx.evaluateWith(v, { loop: first }), ctx.config.while)
    ) {
      return { type: 'complete', output: null, note: { iterations: 0 } };
    }
    return iteration(0, null);
  },

  onBlocksDone(ctx: BlocksDoneContext<LoopConfig>): StartOutcome {
    const { config } = ctx;
    const index = noteNumber(ctx.note, 'iteration');
    const iterations = index + 1;
    const result = ctx.results[0];
    if (!result || result.status === 'failed') return failWith(result?.error, { iteration: index });
    const output = instanceOutput(ctx as BlocksDoneContext<unknown>, result, config.output);
    if (config.until !== undefined && holds((v) => ctx.evaluateInInstance(v, result.index), config.until)) {
      return { type: 'complete', output, note: { iterations } };
    }
    if (iterations >= config.maxIterations) {
      if (config.onMaxIterations === 'fail') {
        return failOutcome(
          'LOOP_MAX_ITERATIONS',
          `Loop step "${ctx.path}" reached maxIterations (${config.maxIterations}) ${unfinishedReason(config)}`,
          { maxIterations: config.maxIterations, lastOutput: output },
        );
      }
      return { type: 'complete', output, note: { iterations, exhausted: true } };
    }
    const next = { index: iterations, previous: output };
    if (config.while !== undefined && !holds((v) => ctx.evaluateWith(v, { loop: next }), config.while)) {
      return { type: 'complete', output, note: { iterations } };
    }
    return iteration(iterations, output);
  },
};

function iteration(index: number, previous: JsonValue): StartOutcome {
  return {
    type: 'blocks',
    instances: [{ blockKey: BODY, vars: { loop: { index, previous } } }],
    note: { iteration: index },
  };
}

function unfinishedReason(config: LoopConfig): string {
  if (config.until !== undefined) return 'before its until condition became true';
  if (config.while !== undefined) return 'while its while condition still held';
  return 'and has no until or while condition to end it';
}
