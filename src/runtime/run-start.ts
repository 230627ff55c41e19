/**
 * Creating runs: a run's first commit (RunStarted plus the scheduler's first decisions), and
 * a child run started for a parent's `workflow` step — or, when it already exists (another
 * process started it, or this is a retry), brought back into step with its parent.
 */
import type { CompiledWorkflow } from '../core/compiled.ts';
import { decide } from '../core/decide.ts';
import type { RunEvent } from '../core/events.ts';
import { childFinished } from '../core/signals.ts';
import { BatonError, type JsonValue } from '../errors.ts';
import { validateRunInputs } from '../language/index.ts';
import type { LatestDefinition, Store } from '../store/types.ts';
import type { Clock } from '../util/clock.ts';
import type { RunManager } from './run-manager.ts';

export type RunOrigin = Pick<
  Extract<RunEvent, { type: 'RunStarted' }>,
  'idempotencyKey' | 'tenant' | 'parent'
>;

/** Records a run's first event and the scheduler's first decisions in one commit. */
export function createRun(
  runs: RunManager,
  clock: Clock,
  runId: string,
  wf: CompiledWorkflow,
  input: Record<string, JsonValue>,
  origin: RunOrigin,
  latestDefinition?: LatestDefinition,
): Promise<{ created: boolean; runId: string }> {
  const now = clock.now();
  const timeout = wf.definition.timeout;
  return runs.create(
    runId,
    wf,
    {
      type: 'RunStarted',
      seq: 1,
      at: now,
      workflow: wf.ref,
      input,
      ...origin,
      timeoutAt: timeout === undefined ? undefined : now + timeout,
    },
    (state) => decide(wf, state, now),
    latestDefinition,
  );
}

export interface ChildRunContext {
  runs: RunManager;
  store: Store;
  clock: Clock;
  /** The hash of the definition a name (and version) refers to; throws WORKFLOW_NOT_FOUND. */
  resolve(name: string, version?: string): Promise<{ hash: string }>;
  retry(runId: string, options: { by: string }): Promise<void>;
}

/** Starts the child run of the parent's waiting `workflow` step at `path`. */
export async function startChildRun(ctx: ChildRunContext, parentRunId: string, path: string): Promise<void> {
  const { runs } = ctx;
  // Fresh, not cached: another process may have moved the parent on since.
  const { state } = await runs.readFresh(parentRunId);
  const step = state.steps.get(path);
  if (!step?.child || !step.childRunId || step.status !== 'waiting') return;
  const childRunId = step.childRunId;
  const existing = await ctx.store.getRun(childRunId);
  if (existing) {
    if (existing.status === 'failed' || existing.status === 'cancelled')
      await ctx.retry(childRunId, { by: `parent ${parentRunId}` });
    else if (existing.status === 'completed') {
      await runs.mutate(parentRunId, (wf, s, now) =>
        childFinished(wf, s, path, { status: 'completed', output: existing.output ?? null }, now),
      );
    }
    return;
  }
  try {
    const summary = await ctx.resolve(step.child.workflow, step.child.version);
    const wf = await runs.workflow(summary.hash);
    const input = validateRunInputs(wf.definition, (step.child.input ?? {}) as Record<string, unknown>);
    await createRun(runs, ctx.clock, childRunId, wf, input, {
      parent: { runId: parentRunId, path },
      tenant: state.tenant,
    });
  } catch (error) {
    if (!(error instanceof BatonError)) throw error;
    await runs.mutate(parentRunId, (wf, s, now) =>
      childFinished(wf, s, path, { status: 'failed', error: error.toJSON() }, now),
    );
  }
}
