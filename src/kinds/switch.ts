// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `switch: { cases: [...], default }` picks the first case whose `when` holds and runs its
 * steps (or just yields its `output`). Only the chosen block runs.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { asJson, evaluateOptional, failWith, hasBlock, holds, instanceOutput } from './shared.ts';
import type {
  BlocksDoneContext,
  RawBlock,
  SchemaKit,
  StartContext,
  StartOutcome,
  StepKind,
} from './types.ts';

export interface SwitchBranch {
  steps?: unknown[];
  output?: unknown;
}

export interface SwitchCase extends SwitchBranch {
  name?: string;
  when: string | boolean;
}

export interface SwitchConfig {
  cases: SwitchCase[];
  default?: SwitchBranch;
}

const DEFAULT_KEY = 'default';

export const switchKind: StepKind<SwitchConfig> = {
  key: 'switch',
  description:
    'Runs the first case whose condition holds (else the default); the output is that branch’s result.',

  schema(kit: SchemaKit) {
    const branch = {
      steps: kit.stepList.optional().describe('Steps run when this branch is chosen.'),
      output: kit.template
        .optional()
        .describe(
          'Output of the switch when this branch is chosen; sees the branch steps’ outputs. Defaults to the last step’s output.',
        ),
    };
    const switchCase = z
      .strictObject({
        name: z
          .string()
          .min(1)
          .optional()
          .describe('Label recorded as the chosen case (defaults to the case index).'),
        when: kit.expression.describe(
          'Condition, e.g. ${{ inputs.tier == "gold" }}; the first true case wins.',
        ),
        ...branch,
      })
      .describe('One case: a condition and what to do when it holds.');
    return z
      .strictObject({
        cases: z
          .array(switchCase)
          .min(1, 'a switch needs at least one case')
          .describe('Cases checked in order.'),
        default: z
          .strictObject(branch)
          .optional()
          .describe('Used when no case matches; without it the output is null.'),
      })
      .superRefine((value, issues) => {
        const seen = new Set<string>();
        value.cases.forEach((c, i) => {
          if (c.name === undefined) return;
          if (seen.has(c.name)) {
            issues.addIssue({
              code: 'custom',
              path: ['cases', i, 'name'],
              message: `duplicate case name "${c.name}"`,
            });
          }
          seen.add(c.name);
        });
      })
      .describe('Branch on conditions: the first matching case runs.') as unknown as z.ZodType<SwitchConfig>;
  },

  blocks(config): RawBlock[] {
    // The loader also calls this with an unvalidated config, so nested lists are found defensively.
    const blocks: RawBlock[] = [];
    const cases: unknown[] = Array.isArray(config?.cases) ? config.cases : [];
    cases.forEach((c, i) => {
      const steps = (c as SwitchCase | null)?.steps;
      if (Array.isArray(steps) && steps.length > 0)
        blocks.push({ key: caseKey(i), steps, path: ['cases', i, 'steps'] });
    });
    if (Array.isArray(config?.default?.steps) && config.default.steps.length > 0) {
      blocks.push({ key: DEFAULT_KEY, steps: config.default.steps, path: ['default', 'steps'] });
    }
    return blocks;
  },

  start(ctx): StartOutcome {
    const { cases } = ctx.config;
    for (let i = 0; i < cases.length; i++) {
      if (holds((v) => ctx.evaluate(v), cases[i].when))
        return choose(ctx, caseKey(i), cases[i], cases[i].name ?? i);
    }
    if (ctx.config.default) return choose(ctx, DEFAULT_KEY, ctx.config.default, DEFAULT_KEY);
    return { type: 'complete', output: null, note: { case: null } };
  },

  onBlocksDone(ctx: BlocksDoneContext<SwitchConfig>): StartOutcome {
    const result = ctx.results[0];
    const label = ctx.note.case ?? null;
    if (!result) return { type: 'complete', output: null, note: { case: label } };
    if (result.status === 'failed') return failWith(result.error, { case: label });
    const output = instanceOutput(
      ctx as BlocksDoneContext<unknown>,
      result,
      branchFor(ctx.config, result.blockKey)?.output,
    );
    return { type: 'complete', output, note: { case: label } };
  },
};

function caseKey(index: number): string {
  return `case:${index}`;
}

function branchFor(config: SwitchConfig, blockKey: string): SwitchBranch | undefined {
  if (blockKey === DEFAULT_KEY) return config.default;
  return config.cases[Number(blockKey.slice('case:'.length))];
}

function choose(
  ctx: StartContext<SwitchConfig>,
  key: string,
  branch: SwitchBranch,
  label: JsonValue,
): StartOutcome {
  if (hasBlock(ctx.step, key)) {
    return { type: 'blocks', instances: [{ blockKey: key, vars: {} }], note: { case: label } };
  }
  return { type: 'complete', output: asJson(evaluateOptional(ctx, branch.output)), note: { case: label } };
}
