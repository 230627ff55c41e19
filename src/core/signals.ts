/**
 * Pure transitions caused by things outside the scheduler: a worker's step result, a
 * timer firing, a human decision, a child run finishing, and operator commands. Each
 * returns the events to append (already applied to `state`), followed by whatever
 * `decide` schedules next, or throws a BatonError when the transition is not allowed.
 */
import { BatonError, type JsonValue, type SerializedError } from '../errors.ts';
import type { Usage } from '../kinds/types.ts';
import type { CompiledWorkflow } from './compiled.ts';
import type { RunEvent } from './events.ts';
import { Recorder } from './recorder.ts';
import { retryDelay, shouldRetry } from './retry.ts';
import { type RunState, runningAttempt } from './state.ts';

export {
  type ApprovalInput,
  approvalProgressKey,
  approvalTimedOut,
  decideApproval,
  findPendingApproval,
  suspendStep,
} from './approval-signals.ts';

export type StepResult = { ok: true; output: JsonValue } | { ok: false; error: SerializedError };

/**
 * Records a worker's result for attempt `attempt` of step `path`; returns undefined when the
 * result is stale. `then: 'record'` leaves out the scheduling pass (`decide`), for a caller
 * that records several results and then decides once.
 */
export function recordStepResult(
  wf: CompiledWorkflow,
  state: RunState,
  path: string,
  attempt: number,
  result: StepResult,
  now: number,
  then: 'decide' | 'record' = 'decide',
): RunEvent[] | undefined {
  const step = runningAttempt(state, path, attempt);
  if (!step) return undefined;
  const r = new Recorder(state, now);
  if (result.ok) {
    r.emit({ type: 'StepCompleted', path, attempt, output: result.output });
  } else {
    const policy = wf.entry(step.id).step.retry;
    if (shouldRetry(policy, attempt, result.error)) {
      const retryAt = now + retryDelay(policy, attempt, `${state.id}/${path}`, result.error);
      r.emit({ type: 'StepFailed', path, attempt, error: result.error, retryAt });
      r.emit({
        type: 'StepScheduled',
        path,
        attempt: attempt + 1,
        input: step.input ?? null,
        runAt: retryAt,
      });
    } else {
      r.emit({ type: 'StepFailed', path, attempt, error: result.error });
    }
  }
  return then === 'decide' ? r.thenDecide(wf) : r.events;
}

/** Records a durable checkpoint inside a running step (ExecuteContext.memo). */
export function recordProgress(
  state: RunState,
  path: string,
  attempt: number,
  key: string,
  value: JsonValue,
  now: number,
  usage?: Usage,
): RunEvent[] | undefined {
  const step = runningAttempt(state, path, attempt);
  if (!step) return undefined;
  const r = new Recorder(state, now);
  r.emit({ type: 'StepProgress', path, attempt, key, value, ...(usage ? { usage } : {}) });
  return r.events;
}

export function fireTimer(
  wf: CompiledWorkflow,
  state: RunState,
  path: string,
  now: number,
): RunEvent[] | undefined {
  const step = state.steps.get(path);
  if (step?.status !== 'waiting' || step.fireAt === undefined || state.outcome) return undefined;
  const r = new Recorder(state, now);
  r.emit({
    type: 'StepCompleted',
    path,
    attempt: step.attempt,
    output: { firedAt: now, scheduledFor: step.fireAt },
  });
  return r.thenDecide(wf);
}

export type ChildOutcome =
  | { status: 'completed'; output: JsonValue }
  | { status: 'failed' | 'cancelled'; error?: SerializedError };

export function childFinished(
  wf: CompiledWorkflow,
  state: RunState,
  path: string,
  outcome: ChildOutcome,
  now: number,
): RunEvent[] | undefined {
  const step = state.steps.get(path);
  if (step?.status !== 'waiting' || !step.childRunId || state.outcome) return undefined;
  const r = new Recorder(state, now);
  if (outcome.status === 'completed') {
    r.emit({ type: 'StepCompleted', path, attempt: step.attempt, output: outcome.output });
  } else {
    r.emit({
      type: 'StepFailed',
      path,
      attempt: step.attempt,
      error: {
        code: 'CHILD_FAILED',
        message: `child run ${step.childRunId} ${outcome.status}${outcome.error ? `: ${outcome.error.message}` : ''}`,
        retryable: false,
        details: {
          childRunId: step.childRunId,
          ...(outcome.error ? { cause: outcome.error as unknown as JsonValue } : {}),
        },
      },
    });
  }
  return r.thenDecide(wf);
}

export function pauseRun(state: RunState, now: number, by?: string, reason?: string): RunEvent[] {
  assertActive(state, 'pause');
  if (state.paused) throw new BatonError('RUN_ALREADY_PAUSED', `run ${state.id} is already paused`);
  const r = new Recorder(state, now);
  r.emit({ type: 'RunPaused', by, reason });
  return r.events;
}

export function resumeRun(wf: CompiledWorkflow, state: RunState, now: number, by?: string): RunEvent[] {
  assertActive(state, 'resume');
  if (!state.paused) throw new BatonError('RUN_NOT_PAUSED', `run ${state.id} is not paused`);
  const r = new Recorder(state, now);
  r.emit({ type: 'RunResumed', by });
  return r.thenDecide(wf);
}

export function cancelRun(
  wf: CompiledWorkflow,
  state: RunState,
  now: number,
  by?: string,
  reason?: string,
): RunEvent[] {
  assertActive(state, 'cancel');
  const r = new Recorder(state, now);
  r.emit({ type: 'RunCancelRequested', by, reason });
  return r.thenDecide(wf);
}

export function timeOutRun(wf: CompiledWorkflow, state: RunState, now: number): RunEvent[] | undefined {
  if (state.outcome) return undefined;
  const r = new Recorder(state, now);
  r.emit({ type: 'RunTimedOut' });
  return r.thenDecide(wf);
}

/** Re-opens a failed or cancelled run: failed, cancelled and skipped steps run again, completed results stay. */
export function retryRun(wf: CompiledWorkflow, state: RunState, now: number, by?: string): RunEvent[] {
  if (state.outcome !== 'failed' && state.outcome !== 'cancelled') {
    throw new BatonError(
      'RUN_NOT_RETRYABLE',
      `run ${state.id} is ${state.outcome ?? 'still active'}; only failed or cancelled runs can be retried`,
    );
  }
  const paths: string[] = [];
  for (const step of state.steps.values()) {
    if (step.status === 'failed' || step.status === 'cancelled' || step.status === 'skipped')
      paths.push(step.path);
  }
  const r = new Recorder(state, now);
  r.emit({ type: 'RunRetried', paths, by });
  return r.thenDecide(wf);
}

function assertActive(state: RunState, action: string): void {
  if (state.outcome)
    throw new BatonError('RUN_FINISHED', `cannot ${action} run ${state.id}: it is ${state.outcome}`);
}
