/**
 * Read models kept beside the history so that listing and showing runs never needs a
 * replay: one row per run and one per step instance, rewritten from state after each
 * batch of events.
 */
import type { JsonValue, SerializedError } from '../errors.ts';
import type { Usage } from '../kinds/types.ts';
import type { RunEvent } from './events.ts';
import { type RunState, type RunStatus, runStatusOf, type StepStatus } from './state.ts';

export interface RunRow {
  id: string;
  workflowName: string;
  workflowVersion: string;
  workflowHash: string;
  status: RunStatus;
  input: Record<string, JsonValue>;
  output?: JsonValue;
  error?: SerializedError;
  parentRunId?: string;
  idempotencyKey?: string;
  tenant?: string;
  usage?: Usage;
  seq: number;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
}

export interface StepRow {
  runId: string;
  path: string;
  stepId: string;
  status: StepStatus;
  attempt: number;
  input?: JsonValue;
  output?: JsonValue;
  error?: SerializedError;
  /** Kind-specific detail shown to users: the approval request and decision, the child run id, the timer. */
  detail?: Record<string, JsonValue>;
  /** What a waiting step waits for; lets stores list pending approvals without reading details. */
  waitingFor?: 'approval' | 'timer' | 'child';
  usage?: Usage;
  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
}

export function runRow(state: RunState): RunRow {
  return {
    id: state.id,
    workflowName: state.workflow.name,
    workflowVersion: state.workflow.version,
    workflowHash: state.workflow.hash,
    status: runStatusOf(state),
    input: state.input,
    output: state.output,
    error: state.error,
    parentRunId: state.parent?.runId,
    idempotencyKey: state.idempotencyKey,
    tenant: state.tenant,
    usage: state.usage,
    seq: state.seq,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    finishedAt: state.finishedAt,
  };
}

/** Rows for the steps the events touched (deleted steps, after a retry, come back as absent). */
export function changedStepRows(
  state: RunState,
  events: readonly RunEvent[],
): { upsert: StepRow[]; remove: string[] } {
  const paths = new Set<string>();
  const removed = new Set<string>();
  for (const event of events) {
    if ('path' in event && typeof event.path === 'string') paths.add(event.path);
    if (event.type === 'RunRetried') for (const path of event.paths) paths.add(path);
    if (event.type === 'RunCancelRequested' || event.type === 'RunTimedOut')
      for (const path of state.steps.keys()) paths.add(path);
  }
  const upsert: StepRow[] = [];
  for (const path of paths) {
    const step = state.steps.get(path);
    if (!step) {
      removed.add(path);
      continue;
    }
    const detail: Record<string, JsonValue> = {};
    if (step.approval) detail.approval = step.approval as unknown as JsonValue;
    if (step.childRunId) detail.childRunId = step.childRunId;
    if (step.fireAt !== undefined) detail.fireAt = step.fireAt;
    if (step.runAt !== undefined && step.status === 'scheduled') detail.runAt = step.runAt;
    if (step.note) detail.note = step.note;
    if (step.skipReason) detail.skipReason = step.skipReason;
    if (step.blocks) detail.blocks = { round: step.blocks.round, instances: step.blocks.instances.length };
    upsert.push({
      runId: state.id,
      path,
      stepId: step.id,
      status: step.status,
      attempt: step.attempt,
      input: step.input,
      output: step.output,
      error: step.error,
      detail: Object.keys(detail).length > 0 ? detail : undefined,
      waitingFor:
        step.status !== 'waiting'
          ? undefined
          : step.approval
            ? 'approval'
            : step.childRunId
              ? 'child'
              : 'timer',
      usage: step.usage,
      startedAt: step.startedAt,
      updatedAt: step.updatedAt,
      finishedAt: step.finishedAt,
    });
  }
  return { upsert, remove: [...removed] };
}
