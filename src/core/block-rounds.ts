/**
 * What `decide` derives about a running block round (map items, loop iterations, parallel
 * branches): each instance's scope, which instances are finished, and an instance's result
 * once its steps are all terminal.
 */
import type { JsonValue, SerializedError } from '../errors.ts';
import type { BlockInstanceResult } from '../kinds/types.ts';
import type { StepDefinition } from '../language/model.ts';
import type { CompiledWorkflow } from './compiled.ts';
import { unknownError } from './outcome-events.ts';
import { childScope, type Scope } from './scope.ts';
import type { BlockState, RunState, StepState } from './state.ts';

/**
 * Derived, per block round: the instances' scopes (built once, not on every pass) and
 * which instances were already seen with every step terminal, so a wide map does not
 * re-walk its finished instances after each result. An instance only stops being
 * terminal through RunRetried, which gives the step a new BlockState (state.ts), so
 * this cache, keyed by BlockState identity, never outlives what it describes.
 */
export interface RoundCache {
  parent: Scope;
  scopes: Scope[];
  done: Uint8Array;
  /** 1: the instance's last walk found it open; until it is touched (touched.ts) another walk would change nothing. */
  quiet: Uint8Array;
}

const roundCaches = new WeakMap<BlockState, RoundCache>();

/** The cache of the round `current` (a step running blocks) has open in `scope`. */
export function roundOf(step: StepDefinition, current: StepState, scope: Scope): RoundCache {
  const blocks = current.blocks as BlockState;
  let cache = roundCaches.get(blocks);
  if (!cache || cache.parent !== scope) {
    const scopes = blocks.instances.map((instance, i) =>
      childScope(
        scope,
        step.id,
        current.path,
        blocks.firstOrdinal + i,
        instance.blockKey,
        instance.vars,
        blocks.stepConcurrency,
      ),
    );
    cache = {
      parent: scope,
      scopes,
      done: new Uint8Array(scopes.length),
      quiet: new Uint8Array(scopes.length),
    };
    roundCaches.set(blocks, cache);
  }
  return cache;
}

/** Whether the run goes on past this failed step (`continueOnError`). */
export function continuesOnError(wf: CompiledWorkflow, step: StepState): boolean {
  return wf.entries.get(step.id)?.step.continueOnError === true;
}

/** One instance's outputs, step statuses and first failure, as the block's kind sees it. */
export function instanceResult(
  wf: CompiledWorkflow,
  state: RunState,
  scope: Scope,
  index: number,
  instance: { blockKey: string; vars: Record<string, JsonValue> },
): BlockInstanceResult {
  const outputs: Record<string, JsonValue> = {};
  const statuses: Record<string, string> = {};
  let error: SerializedError | undefined;
  for (const step of wf.lists.get(scope.listKey) ?? []) {
    const current = state.steps.get(scope.prefix + step.id);
    if (!current) continue;
    statuses[step.id] = current.status;
    if (current.status === 'completed') outputs[step.id] = current.output ?? null;
    if (current.status === 'failed' && !continuesOnError(wf, current) && !error) {
      error = {
        ...(current.error ?? unknownError()),
        details: { ...current.error?.details, step: current.path },
      };
    }
  }
  return {
    index,
    blockKey: instance.blockKey,
    vars: instance.vars,
    status: error ? 'failed' : 'completed',
    outputs,
    statuses,
    error,
  };
}
