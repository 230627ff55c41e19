/**
 * The scheduler: a pure function from a compiled definition and a run's state to the
 * events that should happen next. It never performs I/O, reads a clock or draws random
 * numbers: time comes in as `now`, and everything it decides is returned as events that
 * the shell appends to history (tasks are derived from those events by tasks.ts).
 *
 * It repeats passes until nothing changes, so inline steps (set, switch, skips…) resolve
 * within one call.
 */
import { BatonError, type JsonValue } from '../errors.ts';
import type { BlockInstanceSpec, StartContext, StartOutcome } from '../kinds/types.ts';
import type { StepDefinition } from '../language/model.ts';
import { continuesOnError, instanceResult, roundOf } from './block-rounds.ts';
import type { CompiledWorkflow } from './compiled.ts';
import type { RunEvent, RunEventBody } from './events.ts';
import { Frontier } from './frontier.ts';
import { expressionFailure, outcomeEvent, unknownError } from './outcome-events.ts';
import { expressionScope, type Scope, TOP_SCOPE } from './scope.ts';
import { guardOutcome, guardRunOutput } from './secret-guard.ts';
import { nonceOf, secretTable } from './secret-refs.ts';
import { evolve, type RunState, type StepState, TERMINAL_STEP_STATUSES } from './state.ts';
import { beginPass, takeTouched } from './touched.ts';

const MAX_PASSES = 100_000;

export function decide(wf: CompiledWorkflow, state: RunState, now: number): RunEvent[] {
  const decided: RunEvent[] = [];
  const emit = (body: RunEventBody): void => {
    const event = { ...body, seq: state.seq + 1, at: now } as RunEvent;
    evolve(state, event);
    decided.push(event);
  };
  const pass = new Pass(wf, state, now, emit);
  // With a workflow concurrency limit, a waiting step's `if` is re-evaluated on every pass,
  // so only then must a pass follow one that merely scheduled work.
  const limited = wf.definition.concurrency !== undefined;
  for (let i = 0; i < MAX_PASSES; i++) {
    const before = decided.length;
    pass.run();
    if (decided.length === before || (!limited && !enablesMore(decided, before))) break;
  }
  return decided;
}

/** Events after which another pass cannot start anything: no step became terminal and no block instances appeared. */
const SETTLING_EVENTS: ReadonlySet<string> = new Set([
  'StepScheduled',
  'TimerScheduled',
  'ApprovalRequested',
  'ChildStarted',
]);

function enablesMore(decided: readonly RunEvent[], from: number): boolean {
  for (let i = from; i < decided.length; i++) if (!SETTLING_EVENTS.has(decided[i].type)) return true;
  return false;
}

/** Open steps per scope: keyed by the scope object of a block instance, or the state's step map at top level. */
const frontiers = new WeakMap<object, Frontier>();

class Pass {
  readonly wf: CompiledWorkflow;
  readonly state: RunState;
  readonly now: number;
  readonly emit: (body: RunEventBody) => void;
  inFlight = 0;
  /** This pass walks every open block instance, not only those touched (touched.ts). */
  #everyInstance = true;
  /** Nonces of the secret references evaluated since the current step hook started (secret-refs.ts). */
  #issued = new Set<string>();

  constructor(wf: CompiledWorkflow, state: RunState, now: number, emit: (body: RunEventBody) => void) {
    this.wf = wf;
    this.state = state;
    this.now = now;
    this.emit = emit;
  }

  run(): void {
    const state = this.state;
    // A workflow-wide step limit lets a step of any instance start when one elsewhere ends.
    this.#everyInstance = beginPass(state) || this.wf.definition.concurrency !== undefined;
    if (state.outcome) return;
    if (state.cancelRequested || state.timedOut) {
      this.#cancelAll(state.timedOut ? 'run timed out' : 'run cancelled');
      if (state.timedOut) {
        this.emit({
          type: 'RunFailed',
          error: { code: 'RUN_TIMEOUT', message: 'the run exceeded its timeout', retryable: false },
        });
      } else {
        this.emit({ type: 'RunCancelled' });
      }
      return;
    }
    this.inFlight = 0;
    if (this.wf.definition.concurrency !== undefined) {
      for (const step of state.steps.values()) if (step.status === 'scheduled') this.inFlight++;
    }
    if (this.#walk(TOP_SCOPE)) this.#finish();
  }

  /** Advances every step of a scope; returns true when all of them are terminal. */
  #walk(scope: Scope): boolean {
    const steps = this.wf.lists.get(scope.listKey) ?? [];
    if (scope.stepLimit !== undefined) return this.#walkAll(scope, steps);
    // Visits, in list order, only the steps that can change: the same visits as walking the
    // whole list, since a step that is not open could do nothing when visited.
    const key = scope === TOP_SCOPE ? this.state.steps : scope;
    let frontier = frontiers.get(key);
    if (!frontier || frontier.steps !== steps) {
      frontier = new Frontier(steps, scope.prefix, this.state);
      frontiers.set(key, frontier);
    }
    frontier.absorb(this.state);
    for (let i = frontier.next(-1); i >= 0; i = frontier.next(i)) {
      const path = frontier.paths[i];
      let current = this.state.steps.get(path);
      if (!current) {
        this.#tryStart(steps[i], path, scope);
        current = this.state.steps.get(path);
      } else if (current.status === 'running' && current.blocks) {
        this.#advanceBlocks(steps[i], current, scope);
      }
      if (current && TERMINAL_STEP_STATUSES.has(current.status)) frontier.settle(i);
    }
    return frontier.done;
  }

  /** The whole-list walk, kept for scopes with a step limit (a parallel group's concurrency). */
  #walkAll(scope: Scope, steps: readonly StepDefinition[]): boolean {
    let done = true;
    let active = 0;
    if (scope.stepLimit !== undefined) {
      for (const step of steps) {
        const status = this.state.steps.get(scope.prefix + step.id)?.status;
        if (status !== undefined && !TERMINAL_STEP_STATUSES.has(status)) active++;
      }
    }
    for (const step of steps) {
      const path = scope.prefix + step.id;
      const current = this.state.steps.get(path);
      if (!current) {
        if (scope.stepLimit === undefined || active < scope.stepLimit) {
          this.#tryStart(step, path, scope);
          if (this.state.steps.get(path)) active++;
        }
        done = false;
      } else if (current.status === 'running' && current.blocks) {
        this.#advanceBlocks(step, current, scope);
        done = false;
      } else if (!TERMINAL_STEP_STATUSES.has(current.status)) {
        done = false;
      }
    }
    return done;
  }

  #tryStart(step: StepDefinition, path: string, scope: Scope): void {
    if (this.state.paused) return;
    const deps: StepState[] = [];
    for (const id of step.needs) {
      const dep = this.state.steps.get(scope.prefix + id);
      if (!dep || !TERMINAL_STEP_STATUSES.has(dep.status)) return;
      deps.push(dep);
    }
    const depOk = (dep: StepState) =>
      dep.status === 'completed' || (dep.status === 'failed' && continuesOnError(this.wf, dep));
    const functions = {
      always: () => true,
      success: () => deps.every(depOk),
      failure: () => deps.some((dep) => dep.status === 'failed'),
      cancelled: () => this.state.cancelRequested,
    };
    let proceed: boolean;
    const condition = this.wf.condition(step);
    try {
      proceed = condition
        ? Boolean(condition.evaluate(expressionScope(this.wf, this.state, scope, condition), { functions }))
        : functions.success();
    } catch (error) {
      this.emit({
        type: 'StepFailed',
        path,
        attempt: 1,
        error: expressionFailure(error, `if of step "${step.id}"`),
      });
      return;
    }
    if (!proceed) {
      const blocker = deps.find((dep) => !depOk(dep));
      const reason = condition ? 'condition was false' : `dependency "${blocker?.id}" ${blocker?.status}`;
      this.emit({ type: 'StepSkipped', path, reason });
      return;
    }
    const limit = this.wf.definition.concurrency;
    if (limit !== undefined && this.inFlight >= limit) return;
    this.#applyOutcome(
      path,
      this.#call(step, path, scope, (kind, ctx) => kind.start(ctx)),
    );
  }

  #advanceBlocks(step: StepDefinition, current: StepState, scope: Scope): void {
    const blocks = current.blocks!;
    const limit = blocks.concurrency ?? Number.POSITIVE_INFINITY;
    let active = 0;
    let allDone = true;
    const { scopes, done, quiet } = roundOf(step, current, scope);
    // Instances may depend on later ones (`after`); sweep again while a sweep finishes one
    // that a waiting instance depends on.
    for (let sweep = 0; sweep <= scopes.length; sweep++) {
      active = 0;
      allDone = true;
      let finished = false;
      let blocked = false;
      for (let i = 0; i < scopes.length; i++) {
        if (done[i] === 1) continue;
        const after = blocks.instances[i].after;
        if (after && after.length > 0) {
          if (after.some((j) => done[j] !== 1)) {
            allDone = false;
            blocked = true;
            continue;
          }
          this.#skipIfDependencyFailed(scopes, blocks.instances, i, after);
        }
        if (active >= limit) {
          allDone = false;
          continue;
        }
        // An open instance nothing touched since its last walk stays as it was: what a walk
        // emits touches its own instance (touched.ts), so the next look walks it again.
        const touched = takeTouched(this.state, scopes[i].prefix);
        if (quiet[i] === 1 && !touched && !this.#everyInstance) {
          active++;
          allDone = false;
          continue;
        }
        if (this.#walk(scopes[i])) {
          done[i] = 1;
          finished = true;
        } else {
          quiet[i] = 1;
          active++;
          allDone = false;
        }
      }
      if (!(finished && blocked)) break;
    }
    if (!allDone) return;
    const results = scopes.map((inner, index) =>
      instanceResult(this.wf, this.state, inner, index, blocks.instances[index]),
    );
    const outcome = this.#call(step, current.path, scope, (kind, ctx) => {
      if (!kind.onBlocksDone)
        throw new BatonError(
          'KIND_INCOMPLETE',
          `step kind "${kind.key}" started blocks but has no onBlocksDone`,
        );
      return kind.onBlocksDone({
        ...ctx,
        results,
        note: blocks.note,
        evaluateInInstance: (value, index) => this.#evaluate(value, scopes[index]),
        blockStepIds: (blockKey) => this.wf.blockSteps(step.id, blockKey).map((s) => s.id),
      });
    });
    this.#applyOutcome(current.path, outcome, current);
  }

  /** Skips every not-yet-started step of instance `i` when an instance it depends on failed. */
  #skipIfDependencyFailed(
    scopes: readonly Scope[],
    instances: readonly BlockInstanceSpec[],
    i: number,
    after: readonly number[],
  ): void {
    const failed = after.find(
      (j) => instanceResult(this.wf, this.state, scopes[j], j, instances[j]).status === 'failed',
    );
    if (failed === undefined) return;
    for (const step of this.wf.lists.get(scopes[i].listKey) ?? []) {
      const path = scopes[i].prefix + step.id;
      if (!this.state.steps.has(path))
        this.emit({ type: 'StepSkipped', path, reason: `dependency task ${failed} failed` });
    }
  }

  #call(
    step: StepDefinition,
    path: string,
    scope: Scope,
    hook: (kind: ReturnType<CompiledWorkflow['entry']>['kind'], ctx: StartContext<unknown>) => StartOutcome,
  ): StartOutcome {
    const entry = this.wf.entry(step.id);
    const ctx: StartContext<unknown> = {
      step,
      definition: this.wf.definition,
      config: step.config,
      runId: this.state.id,
      path,
      now: this.now,
      evaluate: (value) => this.#evaluate(value, scope),
      evaluateWith: (value, vars) => this.#evaluate(value, scope, vars),
    };
    const outer = this.#issued;
    this.#issued = new Set();
    try {
      return guardOutcome(hook(entry.kind, ctx), entry.kind, step.id, this.#issued);
    } catch (error) {
      return { type: 'fail', error: expressionFailure(error, `step "${step.id}"`) };
    } finally {
      this.#issued = outer;
    }
  }

  #evaluate(value: unknown, scope: Scope, extra?: Record<string, unknown>): unknown {
    const compiled = this.wf.value(value);
    if (!compiled.isDynamic) return value;
    const variables = expressionScope(this.wf, this.state, scope, compiled, extra);
    if (!compiled.references.roots.includes('secrets')) return compiled.evaluate(variables);
    // Once with placeholders to derive the nonce, once with the references it authenticates.
    const nonce = nonceOf(compiled.evaluate(variables));
    this.#issued.add(nonce);
    return compiled.evaluate({ ...variables, secrets: secretTable(this.wf.secretNames, nonce) });
  }

  #applyOutcome(path: string, outcome: StartOutcome, current?: StepState): void {
    if (outcome.type === 'task') this.inFlight++;
    this.emit(outcomeEvent(outcome, path, this.state.id, this.now, current));
  }

  #finish(): void {
    for (const step of this.wf.definition.steps) {
      const state = this.state.steps.get(step.id);
      if (state?.status === 'failed' && !step.continueOnError) {
        const cause = state.error ?? unknownError();
        this.emit({
          type: 'RunFailed',
          error: {
            ...cause,
            message: `step "${step.id}" failed: ${cause.message}`,
            details: { ...cause.details, step: state.path },
          },
        });
        return;
      }
    }
    this.#issued = new Set();
    try {
      const output =
        this.wf.definition.output === undefined ? null : this.#evaluate(this.wf.definition.output, TOP_SCOPE);
      const misplaced = guardRunOutput(output, this.#issued);
      if (misplaced) this.emit({ type: 'RunFailed', error: misplaced });
      else this.emit({ type: 'RunCompleted', output: (output ?? null) as JsonValue });
    } catch (error) {
      this.emit({ type: 'RunFailed', error: expressionFailure(error, 'workflow output') });
    }
  }

  #cancelAll(reason: string): void {
    for (const step of [...this.state.steps.values()]) {
      if (!TERMINAL_STEP_STATUSES.has(step.status))
        this.emit({ type: 'StepCancelled', path: step.path, reason });
    }
  }
}
