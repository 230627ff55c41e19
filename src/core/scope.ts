/**
 * Expression scopes. A step's expressions see the run's inputs, the steps visible from
 * where it stands (its own block instance first, then enclosing ones), and the variables
 * of enclosing block instances (item/index for map, loop for loop).
 */
import type { JsonValue } from '../errors.ts';
import type { CompiledValue } from '../expr/index.ts';
import type { BlockVars } from '../kinds/types.ts';
import type { CompiledWorkflow } from './compiled.ts';
import type { RunState, StepState } from './state.ts';

export interface Scope {
  /** Path prefix of steps in this scope: '' at top level, `<path>[<n>]/` inside a block instance. */
  prefix: string;
  /** Owner block step id, undefined at top level. */
  ownerStepId?: string;
  listKey: string;
  vars: BlockVars;
  /** Most steps of this scope in flight at once (a parallel group's `concurrency`). */
  stepLimit?: number;
  parent?: Scope;
}

export const TOP_SCOPE: Scope = { prefix: '', listKey: '', vars: {} };

export function childScope(
  parent: Scope,
  ownerStepId: string,
  ownerPath: string,
  ordinal: number,
  blockKey: string,
  vars: BlockVars,
  stepLimit?: number,
): Scope {
  return {
    prefix: `${ownerPath}[${ordinal}]/`,
    ownerStepId,
    listKey: `${ownerStepId}:${blockKey}`,
    vars,
    stepLimit,
    parent,
  };
}

/** Path of step `id` as seen from `scope`, or undefined when it is not visible. */
export function resolvePath(wf: CompiledWorkflow, scope: Scope, id: string): string | undefined {
  const entry = wf.entries.get(id);
  if (!entry) return undefined;
  const owner = entry.owner?.stepId;
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s.ownerStepId === owner) return s.prefix + id;
  }
  return undefined;
}

export function stepView(step: StepState | undefined): Record<string, JsonValue | undefined> {
  if (!step) return { status: 'pending', output: null };
  return {
    status: step.status,
    output: step.status === 'completed' ? (step.output ?? null) : null,
    error: step.error ? (step.error as unknown as JsonValue) : null,
    attempt: step.attempt,
    ...(step.note ? { note: step.note } : {}),
  };
}

/** Builds the variables an expression may read; only the steps it references are materialised. */
export function expressionScope(
  wf: CompiledWorkflow,
  state: RunState,
  scope: Scope,
  compiled: Pick<CompiledValue, 'references'>,
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  const variables: Record<string, unknown> = {
    inputs: state.input,
    run: { id: state.id, workflow: state.workflow.name, version: state.workflow.version },
    workflow: { name: state.workflow.name, version: state.workflow.version },
  };
  const chain: Scope[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) chain.push(s);
  for (let i = chain.length - 1; i >= 0; i--) Object.assign(variables, chain[i].vars);
  const { roots, steps } = compiled.references;
  if (roots.includes('steps')) {
    const view: Record<string, unknown> = {};
    const ids = steps.length > 0 ? steps : [...wf.entries.keys()];
    for (const id of ids) {
      const path = resolvePath(wf, scope, id);
      if (path !== undefined) view[id] = stepView(state.steps.get(path));
    }
    variables.steps = view;
  }
  // References, never values: the scheduler must not see a secret (secret-refs.ts).
  if (roots.includes('secrets')) variables.secrets = wf.secretPlaceholders;
  if (extra) Object.assign(variables, extra);
  return variables;
}
