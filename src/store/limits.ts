/**
 * Keys of cluster-wide concurrency limits (Store.setConcurrencyLimit). A step task counts
 * against the limit of its queue and the limit of its run's workflow, when either is set;
 * timers, deadlines and child-run bookkeeping are never limited.
 */
import { BatonError } from '../errors.ts';

export const QUEUE_LIMIT_PREFIX = 'queue:';
export const WORKFLOW_LIMIT_PREFIX = 'workflow:';

export function queueLimitKey(queue: string): string {
  return `${QUEUE_LIMIT_PREFIX}${queue}`;
}

export function workflowLimitKey(workflow: string): string {
  return `${WORKFLOW_LIMIT_PREFIX}${workflow}`;
}

/** Rejects keys other than `queue:<name>` / `workflow:<name>` and limits below 1. */
export function checkConcurrencyLimit(key: string, limit: number | undefined): void {
  const named =
    (key.startsWith(QUEUE_LIMIT_PREFIX) && key.length > QUEUE_LIMIT_PREFIX.length) ||
    (key.startsWith(WORKFLOW_LIMIT_PREFIX) && key.length > WORKFLOW_LIMIT_PREFIX.length);
  if (!named) {
    throw new BatonError(
      'INVALID_CONCURRENCY_LIMIT',
      `concurrency limit key "${key}" must be "queue:<name>" or "workflow:<name>"`,
      { details: { key } },
    );
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new BatonError(
      'INVALID_CONCURRENCY_LIMIT',
      `concurrency limit of "${key}" must be a whole number of at least 1, got ${limit}`,
      { details: { key, limit } },
    );
  }
}
