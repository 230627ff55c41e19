/**
 * What a step kind's hook decided (a StartOutcome), as the event that records it. Pure:
 * the time and the run come in as arguments.
 */
import { type SerializedError, serializeError } from '../errors.ts';
import type { StartOutcome } from '../kinds/types.ts';
import type { RunEventBody } from './events.ts';
import type { StepState } from './state.ts';

/** Deterministic id of the child run started by the step at `path`. */
export function childRunIdFor(runId: string, path: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    hash ^= path.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${runId}-c${(hash >>> 0).toString(36)}`;
}

/** The event for `outcome` of the step at `path`; `current` is its state when it already started (blocks finishing). */
export function outcomeEvent(
  outcome: StartOutcome,
  path: string,
  runId: string,
  now: number,
  current?: StepState,
): RunEventBody {
  const attempt = current?.attempt ?? 1;
  switch (outcome.type) {
    case 'complete':
      return { type: 'StepCompleted', path, attempt, output: outcome.output ?? null, note: outcome.note };
    case 'fail':
      return { type: 'StepFailed', path, attempt, error: outcome.error };
    case 'task':
      return {
        type: 'StepScheduled',
        path,
        attempt: 1,
        input: outcome.input ?? null,
        runAt: now,
        queue: outcome.queue,
      };
    case 'timer':
      return { type: 'TimerScheduled', path, fireAt: Math.max(outcome.fireAt, now) };
    case 'approval':
      return { type: 'ApprovalRequested', path, request: outcome.request };
    case 'child':
      return {
        type: 'ChildStarted',
        path,
        childRunId: childRunIdFor(runId, path),
        workflow: outcome.workflow,
        version: outcome.version,
        input: outcome.input ?? {},
      };
    case 'blocks':
      return {
        type: 'BlocksStarted',
        path,
        round: current?.blocks ? current.blocks.round + 1 : 0,
        instances: outcome.instances,
        concurrency: outcome.concurrency,
        stepConcurrency: outcome.stepConcurrency,
        note: outcome.note,
      };
  }
}

/** An error thrown while evaluating an expression or a kind's hook, as a non-retryable step or run error. */
export function expressionFailure(error: unknown, where: string): SerializedError {
  const serialized = serializeError(error);
  return { ...serialized, retryable: false, message: `${where}: ${serialized.message}` };
}

/** The error recorded for a step that failed without saying why. */
export function unknownError(): SerializedError {
  return { code: 'STEP_FAILED', message: 'step failed', retryable: false };
}
