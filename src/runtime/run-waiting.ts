/**
 * Waiting for a run's outcome from any process: re-read the run row whenever this process
 * commits an outcome event for it, when the store says another process did
 * (Store.onRunsFinished), and at least every 500 ms in case neither is heard.
 */
import type { RunRow } from '../core/projection.ts';
import { TERMINAL_RUN_STATUSES } from '../core/state.ts';
import { BatonError, type JsonValue } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { EngineEvent } from './engine-types.ts';

const OUTCOME_EVENTS: ReadonlySet<string> = new Set(['RunCompleted', 'RunFailed', 'RunCancelled']);
const POLL_MS = 500;

export type Subscribe = (listener: (event: EngineEvent) => void, filter: { runId?: string }) => () => void;

/** The run once it reaches an outcome (or one of `statuses`); WAIT_TIMEOUT after `timeoutMs`. */
export async function waitForRun(
  store: Store,
  subscribe: Subscribe,
  runId: string,
  options: { timeoutMs?: number; statuses?: readonly string[] } = {},
): Promise<RunRow> {
  const wanted = new Set(options.statuses ?? TERMINAL_RUN_STATUSES);
  // Waiting for an outcome, only an outcome event is worth re-reading the run for.
  const relevant = (event: EngineEvent) =>
    options.statuses !== undefined || (event.type === 'history' && OUTCOME_EVENTS.has(event.event.type));
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  for (;;) {
    const run = await store.getRun(runId);
    if (!run) throw new BatonError('RUN_NOT_FOUND', `no run with id ${runId}`, { details: { runId } });
    if (wanted.has(run.status)) return run;
    if (deadline !== undefined && Date.now() >= deadline) {
      throw new BatonError(
        'WAIT_TIMEOUT',
        `run ${runId} is still ${run.status} after ${options.timeoutMs}ms`,
        {
          retryable: true,
        },
      );
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        finish,
        Math.min(POLL_MS, deadline === undefined ? POLL_MS : Math.max(1, deadline - Date.now())),
      );
      const unsubscribe = subscribe((event) => relevant(event) && finish(), { runId });
      const unsubscribeStore =
        options.statuses === undefined
          ? store.onRunsFinished?.((runIds) => (runIds.length === 0 || runIds.includes(runId)) && finish())
          : undefined;
      function finish() {
        clearTimeout(timer);
        unsubscribe();
        unsubscribeStore?.();
        resolve();
      }
    });
  }
}

/** A finished run's output, or its failure or cancellation as RUN_FAILED / RUN_CANCELLED. */
export function outcomeOf(run: RunRow): JsonValue {
  if (run.status === 'completed') return run.output ?? null;
  const error = run.error;
  throw new BatonError(
    run.status === 'cancelled' ? 'RUN_CANCELLED' : 'RUN_FAILED',
    `run ${run.id} ${run.status}${error ? `: ${error.message}` : ''}`,
    { details: { runId: run.id, error: error as unknown as JsonValue } },
  );
}
