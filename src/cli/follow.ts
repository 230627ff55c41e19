/**
 * Follows a run's history from the store until it reaches an outcome. Reading the store
 * (not only this process's events) is what lets a decision taken in another terminal, or
 * a step finished by another worker, show up here.
 */
import type { RunEvent } from '../core/events.ts';
import { evolve, newRunState, type RunState } from '../core/state.ts';
import { BatonError } from '../errors.ts';
import type { Engine } from '../runtime/engine.ts';

export interface FollowOptions {
  /** Called for every event in order, with the state after it. */
  onEvent(event: RunEvent, state: RunState): void;
  /** Called after each batch of new events has been applied. */
  onBatch?(state: RunState): void;
  /** Stops following (the state so far is returned). */
  signal?: AbortSignal;
  /** Longest wait between reads when nothing happens in this process. */
  pollMs?: number;
}

export async function followRun(engine: Engine, runId: string, options: FollowOptions): Promise<RunState> {
  let state: RunState | undefined;
  for (;;) {
    const events = await engine.store.loadEvents(runId, state?.seq ?? 0);
    for (const event of events) {
      if (!state) {
        if (event.type !== 'RunStarted')
          throw new BatonError('HISTORY_CORRUPT', `history of run ${runId} does not start with RunStarted`);
        state = newRunState(runId, event);
      } else {
        evolve(state, event);
      }
      options.onEvent(event, state);
    }
    if (state && events.length > 0) options.onBatch?.(state);
    if (!state) throw new BatonError('RUN_NOT_FOUND', `no run with id ${runId}`, { details: { runId } });
    if (state.outcome || options.signal?.aborted) return state;
    await changeOrTimeout(engine, runId, options.pollMs ?? 250, options.signal);
  }
}

function changeOrTimeout(
  engine: Engine,
  runId: string,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const unsubscribe = engine.subscribe((event) => event.type === 'history' && done(), { runId });
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
