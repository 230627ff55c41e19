/** What a crash test run exercised, measured from the side-effect log and the histories. */
import type { RunEvent } from '../../src/core/events.ts';
import type { SideEffectRecord } from '../helpers/history-check.ts';

export interface CrashSummary {
  handlerExecutions: number;
  /** Executions whose process died between their `start` and `end` records. */
  interruptedExecutions: number;
  /** Processes that died while at least one handler was running. */
  processesKilledMidStep: number;
  /** Step attempts whose handler started more than once (crash re-executions). */
  reExecutedAttempts: number;
  /** Worker-executed steps that completed, and all StepCompleted events. */
  completedTaskSteps: number;
  completedSteps: number;
  /** Failed attempts that were retried. */
  retriedAttempts: number;
  maxAttempt: number;
}

export function summarise(
  effects: readonly SideEffectRecord[],
  histories: readonly RunEvent[][],
): CrashSummary {
  const open = new Map<string, number>();
  const startsPerAttempt = new Map<string, number>();
  for (const record of effects) {
    const attempt = `${record.runId}|${record.path}|${record.attempt}`;
    const execution = `${attempt}|${record.pid}`;
    if (record.phase === 'start') {
      open.set(execution, record.pid ?? 0);
      startsPerAttempt.set(attempt, (startsPerAttempt.get(attempt) ?? 0) + 1);
    } else {
      open.delete(execution);
    }
  }
  let completedTaskSteps = 0;
  let completedSteps = 0;
  let retriedAttempts = 0;
  let maxAttempt = 0;
  for (const events of histories) {
    const scheduled = new Set<string>();
    for (const event of events) {
      if (event.type === 'StepScheduled') scheduled.add(event.path);
      if (event.type === 'StepFailed' && event.retryAt !== undefined) retriedAttempts++;
      if (event.type === 'StepCompleted') {
        completedSteps++;
        if (scheduled.has(event.path)) completedTaskSteps++;
        maxAttempt = Math.max(maxAttempt, event.attempt);
      }
    }
  }
  return {
    handlerExecutions: effects.filter((r) => r.phase === 'start').length,
    interruptedExecutions: open.size,
    processesKilledMidStep: new Set(open.values()).size,
    reExecutedAttempts: [...startsPerAttempt.values()].filter((n) => n > 1).length,
    completedTaskSteps,
    completedSteps,
    retriedAttempts,
    maxAttempt,
  };
}
