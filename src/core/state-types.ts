/**
 * The shape of a run's state — what the fold of its history (state.ts) builds and the
 * scheduler (decide.ts) reads — and the statuses a run and its steps move through.
 */
import type { JsonValue, SerializedError } from '../errors.ts';
import type { ApprovalRequest, BlockInstanceSpec, Usage } from '../kinds/types.ts';
import type { BudgetState } from './budget.ts';
import type { ParentRef, WorkflowRef } from './events.ts';

export type RunStatus = 'pending' | 'running' | 'waiting' | 'paused' | 'completed' | 'failed' | 'cancelled';
export type StepStatus =
  | 'scheduled'
  | 'waiting'
  | 'running'
  | 'completed'
  | 'failed'
  | 'skipped'
  | 'cancelled';

export const TERMINAL_STEP_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'failed',
  'skipped',
  'cancelled',
]);
export const TERMINAL_RUN_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export interface BlockState {
  round: number;
  instances: BlockInstanceSpec[];
  /** Ordinal of this round's first instance; instance paths are `<path>[<ordinal>]/<id>`. */
  firstOrdinal: number;
  concurrency?: number;
  stepConcurrency?: number;
  note: Record<string, JsonValue>;
}

export interface ApprovalState {
  request: ApprovalRequest;
  /** Set when a running step suspended itself for this decision (ExecuteContext.requestApproval). */
  key?: string;
  decision?: {
    decision: 'approved' | 'rejected';
    comment?: string;
    by?: string;
    at: number;
    payload?: JsonValue;
    timedOut?: boolean;
  };
}

export interface StepState {
  path: string;
  id: string;
  status: StepStatus;
  attempt: number;
  input?: JsonValue;
  output?: JsonValue;
  error?: SerializedError;
  note?: Record<string, JsonValue>;
  runAt?: number;
  fireAt?: number;
  approval?: ApprovalState;
  childRunId?: string;
  child?: { workflow: string; version?: string; input: JsonValue };
  blocks?: BlockState;
  /** Results of `memo` checkpoints of the current step instance, by key. */
  progress?: Record<string, JsonValue>;
  /** Metered consumption (LLM tokens and cost) of all attempts of this step. */
  usage?: Usage;
  skipReason?: string;
  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
}

export interface RunState {
  id: string;
  workflow: WorkflowRef;
  input: Record<string, JsonValue>;
  parent?: ParentRef;
  idempotencyKey?: string;
  tenant?: string;
  timeoutAt?: number;
  seq: number;
  createdAt: number;
  updatedAt: number;
  steps: Map<string, StepState>;
  paused: boolean;
  cancelRequested: boolean;
  timedOut: boolean;
  outcome?: 'completed' | 'failed' | 'cancelled';
  /** Metered consumption of the whole run. */
  usage?: Usage;
  /** LLM budget reservations in flight and raised limits; absent until a budgeted call. */
  budget?: BudgetState;
  output?: JsonValue;
  error?: SerializedError;
  finishedAt?: number;
}
