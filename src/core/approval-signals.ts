/**
 * Pure transitions of human approvals: a decision given through the API or the CLI, an
 * approval's timeout, and a running step suspending itself to ask for one. Each returns the
 * events to append (already applied to `state`) and what `decide` schedules next.
 */
import { BatonError, type JsonValue } from '../errors.ts';
import type { ApprovalRequest } from '../kinds/types.ts';
import type { CompiledWorkflow } from './compiled.ts';
import type { ApprovalDecision, RunEvent } from './events.ts';
import { Recorder } from './recorder.ts';
import { type ApprovalState, type RunState, runningAttempt, type StepState } from './state.ts';

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
    const value = decisionRecord(recorded, decision, timedOut);
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
  const output = decisionRecord(recorded, decision, timedOut);
  output.payload = recorded.payload ?? approval.request.payload ?? null;
  r.emit({ type: 'StepCompleted', path: step.path, attempt: step.attempt, output });
}

/** What a decision gives the step, as its output or as the value a suspended step reads back. */
function decisionRecord(
  recorded: NonNullable<ApprovalState['decision']>,
  decision: ApprovalDecision,
  timedOut: boolean,
): Record<string, JsonValue> {
  const record: Record<string, JsonValue> = {
    approved: decision === 'approved',
    decision,
    timedOut,
    at: recorded.at,
  };
  if (recorded.comment !== undefined) record.comment = recorded.comment;
  if (recorded.by !== undefined) record.by = recorded.by;
  return record;
}
