/**
 * Pure transitions caused by things outside the scheduler: a worker's step result, a
 * timer firing, a human decision, a child run finishing, and operator commands. Each
 * returns the events to append (already applied to `state`), followed by whatever
 * `decide` schedules next, or throws a BatonError when the transition is not allowed.
 */
import { BatonError, type JsonValue, type SerializedError } from '../errors.ts';
import type { ApprovalRequest, Usage } from '../kinds/types.ts';
import type { CompiledWorkflow } from './compiled.ts';
import { decide } from './decide.ts';
import type { ApprovalDecision, RunEvent, RunEventBody } from './events.ts';
import { retryDelay, shouldRetry } from './retry.ts';
import { evolve, type RunState, runningAttempt, type StepState } from './state.ts';

export type StepResult = { ok: true; output: JsonValue } | { ok: false; error: SerializedError };

class Recorder {
  readonly events: RunEvent[] = [];
  readonly state: RunState;
  readonly now: number;
  constructor(state: RunState, now: number) {
    this.state = state;
    this.now = now;
  }
  emit(body: RunEventBody): void {
    const event = { ...body, seq: this.state.seq + 1, at: this.now } as RunEvent;
    evolve(this.state, event);
    this.events.push(event);
  }
  thenDecide(wf: CompiledWorkflow): RunEvent[] {
    this.events.push(...decide(wf, this.state, this.now));
    return this.events;
  }
}

/** Records a worker's result for attempt `attempt` of step `path`; returns undefined when the result is stale. */
export function recordStepResult(
  wf: CompiledWorkflow,
  state: RunState,
  path: string,
  attempt: number,
  result: StepResult,
  now: number,
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
  return r.thenDecide(wf);
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

export interface ApprovalInput {
  decision: ApprovalDecision;
  comment?: string;
  by?: string;
  payload?: JsonValue;
}

/** Finds the waiting approval a caller means: by path, by step id, or the only one pending. */
export function findPendingApproval(state: RunState, stepIdOrPath?: string): StepState {
  const pending = [...state.steps.values()].filter(
    (s) => s.status === 'waiting' && s.approval && !s.approval.decision,
  );
  const matches =
    stepIdOrPath === undefined
      ? pending
      : pending.filter((s) => s.path === stepIdOrPath || s.id === stepIdOrPath);
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    const what = stepIdOrPath ? `step "${stepIdOrPath}"` : 'any step';
    throw new BatonError('APPROVAL_NOT_PENDING', `run ${state.id} has no pending approval for ${what}`, {
      details: { runId: state.id, pending: pending.map((s) => s.path) },
    });
  }
  throw new BatonError(
    'APPROVAL_AMBIGUOUS',
    `run ${state.id} has several pending approvals; name one of: ${matches.map((s) => s.path).join(', ')}`,
    {
      details: { runId: state.id, pending: matches.map((s) => s.path) },
    },
  );
}

export function decideApproval(
  wf: CompiledWorkflow,
  state: RunState,
  path: string,
  input: ApprovalInput,
  now: number,
): RunEvent[] {
  const step = state.steps.get(path);
  if (!step?.approval || step.status !== 'waiting' || step.approval.decision || state.outcome) {
    throw new BatonError(
      'APPROVAL_NOT_PENDING',
      `step "${path}" of run ${state.id} is not waiting for a decision`,
    );
  }
  const r = new Recorder(state, now);
  r.emit({ type: 'ApprovalDecided', path, ...input });
  completeApproval(r, step, input.decision, false);
  return r.thenDecide(wf);
}

export function approvalTimedOut(
  wf: CompiledWorkflow,
  state: RunState,
  path: string,
  now: number,
): RunEvent[] | undefined {
  const step = state.steps.get(path);
  if (!step?.approval || step.status !== 'waiting' || step.approval.decision || state.outcome)
    return undefined;
  const r = new Recorder(state, now);
  const policy = step.approval.request.onTimeout;
  if (policy === 'fail' && step.approval.key === undefined) {
    r.emit({
      type: 'StepFailed',
      path,
      attempt: step.attempt,
      error: {
        code: 'APPROVAL_TIMEOUT',
        message: `no decision on "${step.id}" before its timeout`,
        retryable: false,
      },
    });
  } else {
    const decision: ApprovalDecision = policy === 'approve' ? 'approved' : 'rejected';
    // A suspended step always resumes, so it can act on the timeout itself.
    r.emit({ type: 'ApprovalDecided', path, decision, by: 'timeout', timedOut: true });
    completeApproval(r, step, decision, true);
  }
  return r.thenDecide(wf);
}

/** The decision a suspended step reads back through `requestApproval(key)`. */
export function approvalProgressKey(key: string): string {
  return `approval:${key}`;
}

export function suspendStep(
  state: RunState,
  path: string,
  attempt: number,
  key: string,
  request: ApprovalRequest,
  now: number,
): RunEvent[] | undefined {
  const step = runningAttempt(state, path, attempt);
  if (!step) return undefined;
  const r = new Recorder(state, now);
  r.emit({ type: 'StepSuspended', path, attempt, key, request });
  return r.events;
}

function completeApproval(r: Recorder, step: StepState, decision: ApprovalDecision, timedOut: boolean): void {
  const approval = step.approval!;
  const recorded = approval.decision!;
  if (approval.key !== undefined) {
    // A suspended step resumes with the decision available to it; its checkpoints are kept.
    const value: Record<string, JsonValue> = {
      approved: decision === 'approved',
      decision,
      timedOut,
      at: recorded.at,
    };
    if (recorded.comment !== undefined) value.comment = recorded.comment;
    if (recorded.by !== undefined) value.by = recorded.by;
    if (recorded.payload !== undefined) value.payload = recorded.payload;
    r.emit({
      type: 'StepProgress',
      path: step.path,
      attempt: step.attempt,
      key: approvalProgressKey(approval.key),
      value,
    });
    r.emit({
      type: 'StepScheduled',
      path: step.path,
      attempt: step.attempt,
      input: step.input ?? null,
      runAt: r.now,
    });
    return;
  }
  if (decision === 'rejected' && approval.request.onReject === 'fail') {
    r.emit({
      type: 'StepFailed',
      path: step.path,
      attempt: step.attempt,
      error: {
        code: 'APPROVAL_REJECTED',
        message: `"${step.id}" was rejected${recorded.by ? ` by ${recorded.by}` : ''}${recorded.comment ? `: ${recorded.comment}` : ''}`,
        retryable: false,
      },
    });
    return;
  }
  const output: Record<string, JsonValue> = {
    approved: decision === 'approved',
    decision,
    timedOut,
    at: recorded.at,
  };
  if (recorded.comment !== undefined) output.comment = recorded.comment;
  if (recorded.by !== undefined) output.by = recorded.by;
  output.payload = recorded.payload ?? approval.request.payload ?? null;
  r.emit({ type: 'StepCompleted', path: step.path, attempt: step.attempt, output });
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
