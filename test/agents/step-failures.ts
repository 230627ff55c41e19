/** How a failed agent step looks from a test: its recorded failures, and the error a run rejects with. */
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/core/events.ts';
import type { BatonError } from '../../src/errors.ts';

export interface StepError {
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

/** The StepFailed events of a history, with their retry times. */
export function failures(history: RunEvent[]): (StepError & { retryAt?: number; at: number })[] {
  return history.flatMap((e) =>
    e.type === 'StepFailed' ? [{ ...(e.error as StepError), retryAt: e.retryAt, at: e.at }] : [],
  );
}

/** The step error a run's result promise rejects with. */
export async function failureOf(promise: Promise<unknown>): Promise<StepError> {
  let cause: StepError | undefined;
  await assert.rejects(promise, (error: BatonError) => {
    cause = error.details.error as StepError;
    return true;
  });
  return cause as StepError;
}
