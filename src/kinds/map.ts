// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `map: { items, steps }` fans out: one instance of the body per item (with `item` and
 * `index` in scope), at most `concurrency` at once, then collects the outputs in item order.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { itemVariableName } from './item-variable.ts';
import { byIndex, describeJsonType, failOutcome, failWith, instanceOutput } from './shared.ts';
import type { BlocksDoneContext, RawBlock, SchemaKit, StartOutcome, StepKind } from './types.ts';

export interface MapConfig {
  items: unknown;
  as: string;
  concurrency?: number;
  steps: unknown[];
  output?: unknown;
  onItemError: 'fail' | 'continue';
}

export const MAX_MAP_ITEMS = 10_000;
const BODY = 'body';

export const mapKind: StepKind<MapConfig> = {
  key: 'map',
  description:
    'Runs its steps once per item of an array (bounded concurrency) and collects the outputs in order.',

  schema(kit: SchemaKit) {
    return z
      .strictObject({
        items: kit.template.describe(
          'The array to map over, usually a template such as ${{ steps.search.output.results }}.',
        ),
        as: itemVariableName('doc', 'map')
          .default('item')
          .describe(
            'Name of the current item inside the body (default "item"); `index` is its 0-based position.',
          ),
        concurrency: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe(
            'How many items run at once; unlimited when absent (the workflow concurrency still applies).',
          ),
        steps: kit.stepList.describe('The body, run once per item.'),
        output: kit.template
          .optional()
          .describe(
            'Output for each item, evaluated with the item’s body outputs in scope; defaults to the last body step’s output.',
          ),
        onItemError: z
          .enum(['fail', 'continue'])
          .default('fail')
          .describe(
            'fail (default): the first failed item fails the step; continue: its slot is null and the rest complete.',
          ),
      })
      .describe('Fan out over an array, then collect.') as unknown as z.ZodType<MapConfig>;
  },

  blocks(config): RawBlock[] {
    return [{ key: BODY, steps: config?.steps ?? [], path: ['steps'] }];
  },

  blockVariables(config) {
    return [typeof config?.as === 'string' ? config.as : 'item', 'index'];
  },

  start(ctx): StartOutcome {
    const items = ctx.evaluate(ctx.config.items);
    if (!Array.isArray(items)) {
      return failOutcome(
        'MAP_ITEMS_NOT_ARRAY',
        `Map step "${ctx.path}": items must evaluate to an array, but got ${describeJsonType(items)}`,
      );
    }
    if (items.length === 0) return { type: 'complete', output: [], note: { items: 0 } };
    if (items.length > MAX_MAP_ITEMS) {
      return failOutcome(
        'MAP_TOO_MANY_ITEMS',
        `Map step "${ctx.path}": items has ${items.length} elements; the limit is ${MAX_MAP_ITEMS} ` +
          '(split the work into batches or use child workflows)',
        { count: items.length, limit: MAX_MAP_ITEMS },
      );
    }
    const as = ctx.config.as ?? 'item';
    const outcome: StartOutcome = {
      type: 'blocks',
      instances: items.map((item, index) => ({
        blockKey: BODY,
        vars: { [as]: (item ?? null) as JsonValue, index },
      })),
      note: { items: items.length },
    };
    if (ctx.config.concurrency !== undefined) outcome.concurrency = ctx.config.concurrency;
    return outcome;
  },

  onBlocksDone(ctx: BlocksDoneContext<MapConfig>): StartOutcome {
    const results = byIndex(ctx.results);
    const continueOnError = ctx.config.onItemError === 'continue';
    if (!continueOnError) {
      const failed = results.find((result) => result.status === 'failed');
      if (failed) return failWith(failed.error, { index: failed.index });
    }
    const failedItems: number[] = [];
    const output = results.map((result) => {
      if (result.status === 'failed') {
        failedItems.push(result.index);
        return null;
      }
      return instanceOutput(ctx as BlocksDoneContext<unknown>, result, ctx.config.output);
    });
    return continueOnError
      ? { type: 'complete', output, note: { items: results.length, failedItems } }
      : { type: 'complete', output, note: { items: results.length } };
  },
};
