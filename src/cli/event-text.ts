/**
 * Words for history events: the one-line progress messages of `baton run` / `baton worker`
 * and the summary column of `baton runs show --history`.
 */
import type { RunEvent } from '../core/events.ts';
import type { StepState } from '../core/state.ts';
import type { SerializedError } from '../errors.ts';
import { compactJson, formatDuration, formatTime, truncate } from './format.ts';

export function errorText(error: SerializedError | undefined): string {
  return error ? `${error.code}: ${error.message}` : 'unknown error';
}

/** `step greet completed (3 ms)`; undefined for events not worth a progress line. */
export function progressMessage(event: RunEvent, step: StepState | undefined): string | undefined {
  const took = step ? ` (${formatDuration(event.at - step.startedAt)})` : '';
  switch (event.type) {
    case 'RunStarted':
      return `run started: ${event.workflow.name}@${event.workflow.version}`;
    case 'StepScheduled':
      if (event.attempt === 1) return `step ${event.path} started`;
      return `step ${event.path} attempt ${event.attempt}${event.runAt > event.at ? ` at ${formatTime(event.runAt)}` : ''}`;
    case 'StepCompleted':
      return `step ${event.path} completed${took}`;
    case 'StepFailed':
      return event.retryAt === undefined
        ? `step ${event.path} failed${took}: ${errorText(event.error)}`
        : `step ${event.path} failed (attempt ${event.attempt}): ${errorText(event.error)}; retrying in ${formatDuration(event.retryAt - event.at)}`;
    case 'StepSkipped':
      return `step ${event.path} skipped (${event.reason})`;
    case 'StepCancelled':
      return `step ${event.path} cancelled (${event.reason})`;
    case 'TimerScheduled':
      return `step ${event.path} waiting until ${formatTime(event.fireAt)} (${formatDuration(event.fireAt - event.at)})`;
    case 'ApprovalRequested':
    case 'StepSuspended':
      return `step ${event.path} waiting for approval: ${truncate(event.request.message, 120)}`;
    case 'ApprovalDecided':
      return `step ${event.path} ${event.decision}${event.timedOut ? ' (timed out)' : ''}${event.by ? ` by ${event.by}` : ''}${event.comment ? `: ${truncate(event.comment, 80)}` : ''}`;
    case 'ChildStarted':
      return `step ${event.path} started child run ${event.childRunId} (${event.workflow})`;
    case 'BlocksStarted': {
      const count = event.instances.length === 1 ? '' : ` (${event.instances.length} instances)`;
      return event.round === 0
        ? `step ${event.path} started${count}`
        : `step ${event.path} round ${event.round + 1} started${count}`;
    }
    case 'RunPaused':
      return `run paused${event.by ? ` by ${event.by}` : ''}${event.reason ? `: ${event.reason}` : ''}`;
    case 'RunResumed':
      return `run resumed${event.by ? ` by ${event.by}` : ''}`;
    case 'RunCancelRequested':
      return `run cancellation requested${event.by ? ` by ${event.by}` : ''}${event.reason ? `: ${event.reason}` : ''}`;
    case 'RunTimedOut':
      return 'run timed out';
    case 'RunRetried':
      return `run retried${event.by ? ` by ${event.by}` : ''} (${event.paths.length} step${event.paths.length === 1 ? '' : 's'} again)`;
    case 'RunCompleted':
      return 'run completed';
    case 'RunFailed':
      return `run failed: ${errorText(event.error)}`;
    case 'RunCancelled':
      return 'run cancelled';
    case 'StepProgress':
    case 'BudgetReserved':
      return undefined;
    case 'BudgetRaised':
      return `step ${event.path}: ${eventSummary(event)}`;
    default:
      // An event type newer than this CLI: show its name rather than nothing.
      return `${(event as { type: string }).type}${eventPath(event) ? ` ${eventPath(event)}` : ''}`;
  }
}

/** The detail column of a history listing: what the event carries, briefly. */
export function eventSummary(event: RunEvent): string {
  switch (event.type) {
    case 'RunStarted':
      return `${event.workflow.name}@${event.workflow.version} input ${compactJson(event.input)}`;
    case 'StepScheduled':
      return `attempt ${event.attempt}${event.runAt > event.at ? ` at ${formatTime(event.runAt, true)}` : ''}${event.queue ? ` queue ${event.queue}` : ''}`;
    case 'StepCompleted':
      return `output ${compactJson(event.output)}`;
    case 'StepFailed':
      return `attempt ${event.attempt} ${errorText(event.error)}${event.retryAt !== undefined ? ` (retry at ${formatTime(event.retryAt, true)})` : ''}`;
    case 'StepSkipped':
    case 'StepCancelled':
      return event.reason;
    case 'StepProgress':
      return `${event.key} = ${compactJson(event.value, 60)}`;
    case 'TimerScheduled':
      return `fires at ${formatTime(event.fireAt, true)}`;
    case 'ApprovalRequested':
      return truncate(event.request.message, 80);
    case 'StepSuspended':
      return `attempt ${event.attempt} asks: ${truncate(event.request.message, 70)}`;
    case 'ApprovalDecided':
      return `${event.decision}${event.by ? ` by ${event.by}` : ''}${event.comment ? `: ${truncate(event.comment, 60)}` : ''}`;
    case 'ChildStarted':
      return `${event.workflow} run ${event.childRunId}`;
    case 'BlocksStarted':
      return `round ${event.round}, ${event.instances.length} instance(s)`;
    case 'BudgetReserved':
      return `${event.key}: $${event.usd} and ${event.tokens} tokens reserved`;
    case 'BudgetRaised':
      return `${event.scope} budget raised to ${[event.usd !== undefined ? `$${event.usd}` : '', event.tokens !== undefined ? `${event.tokens} tokens` : ''].filter(Boolean).join(' and ')}${event.by ? ` by ${event.by}` : ''}`;
    case 'RunPaused':
    case 'RunCancelRequested':
      return [event.by ? `by ${event.by}` : '', event.reason ?? ''].filter(Boolean).join(': ');
    case 'RunResumed':
      return event.by ? `by ${event.by}` : '';
    case 'RunRetried':
      return `${event.paths.join(', ')}${event.by ? ` by ${event.by}` : ''}`;
    case 'RunCompleted':
      return `output ${compactJson(event.output)}`;
    case 'RunFailed':
      return errorText(event.error);
    case 'RunTimedOut':
    case 'RunCancelled':
      return '';
    default:
      return '';
  }
}

export function eventPath(event: RunEvent): string {
  return 'path' in event && typeof event.path === 'string' ? event.path : '';
}
