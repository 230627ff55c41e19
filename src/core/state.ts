/**
 * Run state as a fold of history. `evolve` is deterministic and updates the state in
 * place (runs can be large; copying on every event would dominate the hot path), so a
 * caller that discards a decision must also discard the state it evolved.
 */
import type { Usage } from '../kinds/types.ts';
import { applyBudgetEvent } from './budget.ts';
import type { RunEvent, RunEventBody } from './events.ts';
import type { RunState, RunStatus, StepState, StepStatus } from './state-types.ts';
import { noteTouched } from './touched.ts';

export type * from './state-types.ts';
export { TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES } from './state-types.ts';

export function stepIdOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

export function newRunState(runId: string, event: Extract<RunEvent, { type: 'RunStarted' }>): RunState {
  return {
    id: runId,
    workflow: event.workflow,
    input: event.input,
    parent: event.parent,
    idempotencyKey: event.idempotencyKey,
    tenant: event.tenant,
    timeoutAt: event.timeoutAt,
    seq: event.seq,
    createdAt: event.at,
    updatedAt: event.at,
    steps: new Map(),
    paused: false,
    cancelRequested: false,
    timedOut: false,
  };
}

/** Rebuilds a run's state from its full history. */
export function replay(runId: string, events: readonly RunEvent[]): RunState {
  const first = events[0];
  if (first?.type !== 'RunStarted') throw new Error(`history of run ${runId} does not start with RunStarted`);
  const state = newRunState(runId, first);
  for (let i = 1; i < events.length; i++) evolve(state, events[i]);
  return state;
}

export function evolve(state: RunState, event: RunEvent): RunState {
  state.seq = event.seq;
  state.updatedAt = event.at;
  const counts = activeCounts.get(state);
  if (counts && 'path' in event && typeof event.path === 'string') {
    const before = state.steps.get(event.path)?.status;
    apply(state, event, event.at);
    const after = state.steps.get(event.path)?.status;
    if (before !== after) {
      countStatus(counts, before, -1);
      countStatus(counts, after, 1);
    }
    noteTouched(state, event);
    return state;
  }
  apply(state, event, event.at);
  if (event.type === 'RunRetried') activeCounts.delete(state);
  noteTouched(state, event);
  return state;
}

/**
 * How many steps are scheduled and waiting, so that the run's status does not need a
 * scan of every step after each event. Derived, so kept beside the state rather than in
 * it: built on first use (runStatusOf), then kept up to date by evolve; a state copied
 * or rebuilt simply builds its own.
 */
interface ActiveCounts {
  scheduled: number;
  waiting: number;
}

const activeCounts = new WeakMap<RunState, ActiveCounts>();

function countStatus(counts: ActiveCounts, status: StepStatus | undefined, delta: number): void {
  if (status === 'scheduled') counts.scheduled += delta;
  else if (status === 'waiting') counts.waiting += delta;
}

function apply(state: RunState, event: RunEventBody, at: number): void {
  if (state.budget || event.type === 'BudgetReserved' || event.type === 'BudgetRaised')
    applyBudgetEvent(state, event);
  switch (event.type) {
    case 'RunStarted':
      return;
    case 'StepScheduled': {
      const step = touch(state, event.path, at);
      step.status = 'scheduled';
      step.attempt = event.attempt;
      step.input = event.input;
      step.runAt = event.runAt;
      step.error = undefined;
      return;
    }
    case 'StepCompleted': {
      const step = touch(state, event.path, at);
      step.status = 'completed';
      step.attempt = event.attempt;
      step.output = event.output;
      step.error = undefined;
      if (event.note) step.note = { ...step.note, ...event.note };
      step.finishedAt = at;
      return;
    }
    case 'StepFailed': {
      const step = touch(state, event.path, at);
      step.attempt = event.attempt;
      step.error = event.error;
      // Checkpoints survive automatic retries: a retry after turn 5 failed must not pay for turns 1–4 again.
      if (event.retryAt === undefined) {
        step.status = 'failed';
        step.finishedAt = at;
      }
      return;
    }
    case 'StepSkipped': {
      const step = touch(state, event.path, at);
      step.status = 'skipped';
      step.skipReason = event.reason;
      step.finishedAt = at;
      return;
    }
    case 'StepCancelled': {
      const step = touch(state, event.path, at);
      step.status = 'cancelled';
      step.error = { code: 'STEP_CANCELLED', message: event.reason, retryable: false };
      step.finishedAt = at;
      return;
    }
    case 'StepProgress': {
      const step = touch(state, event.path, at);
      step.progress = { ...step.progress, [event.key]: event.value };
      if (event.usage) {
        step.usage = addUsage(step.usage, event.usage);
        state.usage = addUsage(state.usage, event.usage);
      }
      return;
    }
    case 'TimerScheduled': {
      const step = touch(state, event.path, at);
      step.status = 'waiting';
      step.fireAt = event.fireAt;
      return;
    }
    case 'ApprovalRequested': {
      const step = touch(state, event.path, at);
      step.status = 'waiting';
      step.approval = { request: event.request };
      return;
    }
    case 'StepSuspended': {
      const step = touch(state, event.path, at);
      step.status = 'waiting';
      step.attempt = event.attempt;
      step.approval = { request: event.request, key: event.key };
      return;
    }
    case 'ApprovalDecided': {
      const step = touch(state, event.path, at);
      if (step.approval) {
        step.approval.decision = {
          decision: event.decision,
          comment: event.comment,
          by: event.by,
          at,
          payload: event.payload,
          timedOut: event.timedOut,
        };
      }
      return;
    }
    case 'ChildStarted': {
      const step = touch(state, event.path, at);
      step.status = 'waiting';
      step.childRunId = event.childRunId;
      step.child = { workflow: event.workflow, version: event.version, input: event.input };
      return;
    }
    case 'BlocksStarted': {
      const step = touch(state, event.path, at);
      const previous = step.blocks;
      step.status = 'running';
      step.blocks = {
        round: event.round,
        instances: event.instances,
        firstOrdinal: previous ? previous.firstOrdinal + previous.instances.length : 0,
        concurrency: event.concurrency,
        stepConcurrency: event.stepConcurrency,
        note: event.note ?? previous?.note ?? {},
      };
      return;
    }
    case 'RunPaused':
      state.paused = true;
      return;
    case 'RunResumed':
      state.paused = false;
      return;
    case 'RunCancelRequested':
      state.cancelRequested = true;
      return;
    case 'RunTimedOut':
      state.timedOut = true;
      return;
    case 'RunRetried':
      // A new map too: the scheduler's frontiers (frontier.ts) are keyed by it and assume
      // that steps seen terminal stay so, which a retry undoes.
      state.steps = new Map(state.steps);
      for (const path of event.paths) {
        const step = state.steps.get(path);
        if (step?.blocks) {
          step.status = 'running';
          // A new identity: the scheduler's per-round caches (decide.ts) assume a round's
          // finished instances stay finished, which a retry undoes.
          step.blocks = { ...step.blocks };
          step.error = undefined;
          step.finishedAt = undefined;
        } else {
          state.steps.delete(path);
        }
      }
      state.outcome = undefined;
      state.error = undefined;
      state.output = undefined;
      state.finishedAt = undefined;
      state.cancelRequested = false;
      state.timedOut = false;
      return;
    case 'RunCompleted':
      state.outcome = 'completed';
      state.output = event.output;
      state.finishedAt = at;
      return;
    case 'RunFailed':
      state.outcome = 'failed';
      state.error = event.error;
      state.finishedAt = at;
      return;
    case 'RunCancelled':
      state.outcome = 'cancelled';
      state.finishedAt = at;
      return;
  }
}

function touch(state: RunState, path: string, at: number): StepState {
  let step = state.steps.get(path);
  if (!step) {
    step = { path, id: stepIdOf(path), status: 'scheduled', attempt: 1, startedAt: at, updatedAt: at };
    state.steps.set(path, step);
  }
  step.updatedAt = at;
  return step;
}

/** The status shown to users, derived from the state rather than stored separately. */
export function runStatusOf(state: RunState): RunStatus {
  if (state.outcome) return state.outcome;
  if (state.paused) return 'paused';
  let counts = activeCounts.get(state);
  if (!counts) {
    counts = { scheduled: 0, waiting: 0 };
    for (const step of state.steps.values()) countStatus(counts, step.status, 1);
    activeCounts.set(state, counts);
  }
  if (counts.scheduled > 0) return 'running';
  return counts.waiting > 0 ? 'waiting' : 'running';
}

export function addUsage(total: Usage | undefined, more: Usage): Usage {
  if (!total) return { ...more };
  return {
    calls: total.calls + more.calls,
    inputTokens: total.inputTokens + more.inputTokens,
    outputTokens: total.outputTokens + more.outputTokens,
    cachedInputTokens: total.cachedInputTokens + more.cachedInputTokens,
    ...optionalSum('cacheWriteInputTokens', total.cacheWriteInputTokens, more.cacheWriteInputTokens),
    costUsd: Math.round((total.costUsd + more.costUsd) * 1e9) / 1e9,
    ...optionalSum('cacheHits', total.cacheHits, more.cacheHits),
  };
}

/**
 * `cacheHits` and `cacheWriteInputTokens` appear only once there is one (a response from the
 * cache, a prompt-cache write), so usage without them keeps its shape.
 */
function optionalSum<K extends string>(
  key: K,
  a: number | undefined,
  b: number | undefined,
): Partial<Record<K, number>> {
  return a === undefined && b === undefined ? {} : ({ [key]: (a ?? 0) + (b ?? 0) } as Record<K, number>);
}

/** The step at `path` if `attempt` is still the one scheduled (a worker's result for it may be recorded). */
export function runningAttempt(state: RunState, path: string, attempt: number): StepState | undefined {
  const step = state.steps.get(path);
  if (step?.status !== 'scheduled' || step.attempt !== attempt || state.outcome) return undefined;
  return step;
}
