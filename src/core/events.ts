/**
 * The run history vocabulary. A run's history is an append-only list of these events with
 * consecutive sequence numbers; the state of a run is a fold of its events (state.ts),
 * and everything else (projections, tasks) is derived from them.
 */
import type { JsonValue, SerializedError } from '../errors.ts';
import type { ApprovalRequest, BlockInstanceSpec, Usage } from '../kinds/types.ts';

export interface WorkflowRef {
  name: string;
  version: string;
  hash: string;
}

export interface ParentRef {
  runId: string;
  path: string;
}

export type ApprovalDecision = 'approved' | 'rejected';

export type RunEventBody =
  | {
      type: 'RunStarted';
      workflow: WorkflowRef;
      input: Record<string, JsonValue>;
      idempotencyKey?: string;
      parent?: ParentRef;
      timeoutAt?: number;
      tenant?: string;
    }
  | { type: 'StepScheduled'; path: string; attempt: number; input: JsonValue; runAt: number; queue?: string }
  | {
      type: 'StepCompleted';
      path: string;
      attempt: number;
      output: JsonValue;
      note?: Record<string, JsonValue>;
    }
  | { type: 'StepFailed'; path: string; attempt: number; error: SerializedError; retryAt?: number }
  | { type: 'StepSkipped'; path: string; reason: string }
  | { type: 'StepCancelled'; path: string; reason: string }
  | { type: 'StepProgress'; path: string; attempt: number; key: string; value: JsonValue; usage?: Usage }
  /** A running step set budget aside for the model call it records under `key` (budget.ts). */
  | { type: 'BudgetReserved'; path: string; attempt: number; key: string; usd: number; tokens: number }
  /** An approval raised the run's (or, for this run, the workflow's) budget limit. */
  | {
      type: 'BudgetRaised';
      path: string;
      scope: 'run' | 'workflow';
      usd?: number;
      tokens?: number;
      by?: string;
    }
  | { type: 'TimerScheduled'; path: string; fireAt: number }
  /** A running step asked a human to decide before it can go on (a tool call, a budget raise). */
  | { type: 'StepSuspended'; path: string; attempt: number; key: string; request: ApprovalRequest }
  | { type: 'ApprovalRequested'; path: string; request: ApprovalRequest }
  | {
      type: 'ApprovalDecided';
      path: string;
      decision: ApprovalDecision;
      comment?: string;
      by?: string;
      payload?: JsonValue;
      timedOut?: boolean;
    }
  | {
      type: 'ChildStarted';
      path: string;
      childRunId: string;
      workflow: string;
      version?: string;
      input: JsonValue;
    }
  | {
      type: 'BlocksStarted';
      path: string;
      round: number;
      instances: BlockInstanceSpec[];
      concurrency?: number;
      stepConcurrency?: number;
      note?: Record<string, JsonValue>;
    }
  | { type: 'RunPaused'; by?: string; reason?: string }
  | { type: 'RunResumed'; by?: string }
  | { type: 'RunCancelRequested'; by?: string; reason?: string }
  | { type: 'RunCancelled' }
  | { type: 'RunTimedOut' }
  | { type: 'RunRetried'; paths: string[]; by?: string }
  | { type: 'RunCompleted'; output: JsonValue }
  | { type: 'RunFailed'; error: SerializedError };

export type RunEventType = RunEventBody['type'];

/** An event as stored: body plus its position in the run's history and the time it was decided. */
export type RunEvent = RunEventBody & { seq: number; at: number };
