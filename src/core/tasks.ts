/**
 * Work derived from history. Every task is implied by an event (a scheduled step, a
 * timer, an approval deadline…), and task ids are deterministic, so writing the same
 * decision twice can never enqueue the same work twice.
 */
import type { RunEvent } from './events.ts';
import type { RunState } from './state.ts';

export type TaskKind = 'step' | 'timer' | 'approval-timeout' | 'run-timeout' | 'child-start' | 'child-done';

export interface TaskSpec {
  id: string;
  runId: string;
  kind: TaskKind;
  path: string;
  attempt: number;
  runAt: number;
  queue: string;
  priority: number;
}

export const DEFAULT_QUEUE = 'default';

export function taskId(runId: string, kind: TaskKind, path: string, attempt = 0): string {
  return `${runId}|${kind}|${path}|${attempt}`;
}

function task(
  runId: string,
  kind: TaskKind,
  path: string,
  attempt: number,
  runAt: number,
  queue = DEFAULT_QUEUE,
): TaskSpec {
  return { id: taskId(runId, kind, path, attempt), runId, kind, path, attempt, runAt, queue, priority: 0 };
}

export interface TaskChanges {
  insert: TaskSpec[];
  /** Ids of tasks that the events made obsolete. */
  remove: string[];
  /** True when the run reached an outcome: every remaining task of the run goes. */
  removeAll: boolean;
  /** Hold (pause) or release (resume) the run's step tasks. */
  hold?: boolean;
}

export function taskChanges(state: RunState, events: readonly RunEvent[]): TaskChanges {
  const changes: TaskChanges = { insert: [], remove: [], removeAll: false };
  const runId = state.id;
  for (const event of events) {
    switch (event.type) {
      case 'RunStarted':
        if (event.timeoutAt !== undefined)
          changes.insert.push(task(runId, 'run-timeout', '', 0, event.timeoutAt));
        break;
      case 'StepScheduled':
        changes.insert.push(task(runId, 'step', event.path, event.attempt, event.runAt, event.queue));
        break;
      case 'TimerScheduled':
        changes.insert.push(task(runId, 'timer', event.path, 0, event.fireAt));
        break;
      case 'ApprovalRequested':
        if (event.request.timeoutAt !== undefined) {
          changes.insert.push(task(runId, 'approval-timeout', event.path, 0, event.request.timeoutAt));
        }
        break;
      case 'StepSuspended':
        if (event.request.timeoutAt !== undefined) {
          changes.insert.push(task(runId, 'approval-timeout', event.path, 0, event.request.timeoutAt));
        }
        break;
      case 'ApprovalDecided':
        changes.remove.push(taskId(runId, 'approval-timeout', event.path));
        break;
      case 'ChildStarted':
        changes.insert.push(task(runId, 'child-start', event.path, 0, event.at));
        break;
      case 'StepCancelled': {
        const step = state.steps.get(event.path);
        if (step)
          changes.remove.push(
            taskId(runId, 'step', event.path, step.attempt),
            taskId(runId, 'timer', event.path),
          );
        break;
      }
      case 'RunPaused':
        changes.hold = true;
        break;
      case 'RunResumed':
        changes.hold = false;
        break;
      case 'RunCompleted':
      case 'RunFailed':
      case 'RunCancelled':
        changes.removeAll = true;
        if (state.parent)
          changes.insert.push(task(state.parent.runId, 'child-done', state.parent.path, 0, event.at));
        break;
      default:
        break;
    }
  }
  if (changes.removeAll) {
    // Tasks of this run inserted by the same batch are moot too; the parent's notification is not.
    changes.insert = changes.insert.filter((t) => t.runId !== runId);
  }
  return changes;
}
