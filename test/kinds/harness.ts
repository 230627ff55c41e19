/**
 * Builds the contexts the scheduler hands to a kind's pure hooks, evaluating templates with
 * the real expression module and validating configs with the real SchemaKit, so the hooks are
 * tested as they will run: parse config → start → (instances finish) → onBlocksDone.
 */
import { z } from 'zod';
import type { JsonValue } from '../../src/errors.ts';
import { compileValue } from '../../src/expr/index.ts';
import type {
  BlockInstanceResult,
  BlockInstanceSpec,
  BlocksDoneContext,
  StartContext,
  StepKind,
} from '../../src/kinds/types.ts';
import { createSchemaKit } from '../../src/language/kit.ts';
import { DEFAULT_RETRY, type StepDefinition } from '../../src/language/model.ts';

export const kit = createSchemaKit(z.array(z.looseObject({ id: z.string() })));

export function parseConfig<C>(kind: StepKind<C>, raw: unknown): C {
  return kind.schema(kit).parse(raw);
}

export function configIssues(kind: StepKind<unknown>, raw: unknown): string[] {
  const result = kind.schema(kit).safeParse(raw);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

export interface HarnessOptions {
  inputs?: Record<string, JsonValue>;
  /** Outputs of steps visible to the step, by id. */
  steps?: Record<string, JsonValue>;
  extras?: Record<string, unknown>;
  now?: number;
}

function nestedStep(raw: unknown): StepDefinition {
  const id = (raw as { id: string }).id;
  return {
    id,
    kind: 'set',
    needs: [],
    explicitNeeds: [],
    retry: DEFAULT_RETRY,
    continueOnError: false,
    config: null,
    extras: {},
    blocks: [],
  };
}

export function startContext<C>(
  kind: StepKind<C>,
  rawConfig: unknown,
  options: HarnessOptions = {},
): StartContext<C> {
  const config = parseConfig(kind, rawConfig);
  const step: StepDefinition = {
    id: 'subject',
    kind: kind.key,
    needs: [],
    explicitNeeds: [],
    retry: DEFAULT_RETRY,
    continueOnError: false,
    config,
    extras: options.extras ?? {},
    blocks: (kind.blocks?.(config) ?? []).map((block) => ({
      key: block.key,
      steps: block.steps.map(nestedStep),
    })),
  };
  const scope = {
    inputs: options.inputs ?? {},
    steps: Object.fromEntries(
      Object.entries(options.steps ?? {}).map(([id, output]) => [id, { status: 'completed', output }]),
    ),
  };
  const ctx: StartContext<C> = {
    step,
    definition: {
      name: 'harness',
      version: '1',
      inputs: {},
      defaults: { retry: DEFAULT_RETRY },
      steps: [step],
      sections: {},
    },
    config,
    runId: 'run-1',
    path: 'subject',
    now: options.now ?? 1_700_000_000_000,
    evaluate: (value) => compileValue(value).evaluate(scope),
    evaluateWith: (value, vars) => compileValue(value).evaluate({ ...scope, ...vars }),
  };
  scopes.set(ctx, scope);
  return ctx;
}

const scopes = new WeakMap<object, { inputs: Record<string, JsonValue>; steps: Record<string, unknown> }>();

/** How one block instance finished: its steps' outputs, or a failure. */
export type InstanceRun =
  | { outputs: Record<string, JsonValue> }
  | { error: { code: string; message: string } };

/** Finishes the instances of a blocks outcome and calls onBlocksDone as the scheduler would. */
export function blocksDone<C>(
  kind: StepKind<C>,
  ctx: StartContext<C>,
  started: { instances: BlockInstanceSpec[]; note?: Record<string, JsonValue> },
  runs: InstanceRun[],
): ReturnType<NonNullable<StepKind<C>['onBlocksDone']>> {
  const results: BlockInstanceResult[] = started.instances.map((instance, index) => {
    const run = runs[index];
    const base = { index, blockKey: instance.blockKey, vars: instance.vars };
    if ('error' in run) {
      return {
        ...base,
        status: 'failed',
        outputs: {},
        statuses: {},
        error: { ...run.error, retryable: false },
      };
    }
    const statuses = Object.fromEntries(Object.keys(run.outputs).map((id) => [id, 'completed']));
    return { ...base, status: 'completed', outputs: run.outputs, statuses };
  });
  const doneContext: BlocksDoneContext<C> = {
    ...ctx,
    results,
    note: started.note ?? {},
    evaluateInInstance: (value, index) => {
      const result = results[index];
      const own = Object.fromEntries(
        Object.entries(result.outputs).map(([id, output]) => [id, { status: 'completed', output }]),
      );
      const scope = scopes.get(ctx)!;
      return compileValue(value).evaluate({ ...scope, ...result.vars, steps: { ...scope.steps, ...own } });
    },
    blockStepIds: (blockKey) =>
      ctx.step.blocks.find((block) => block.key === blockKey)?.steps.map((s) => s.id) ?? [],
  };
  if (!kind.onBlocksDone) throw new Error(`${kind.key} has no onBlocksDone`);
  return kind.onBlocksDone(doneContext);
}
