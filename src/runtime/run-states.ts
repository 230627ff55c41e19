/**
 * The states of the runs this process has loaded, kept so that a run's next step is decided
 * without reading its history again. Bounded: past CACHE_LIMIT the oldest entry goes.
 */
import type { RunEvent } from '../core/events.ts';
import { evolve, type RunState, replay } from '../core/state.ts';

const CACHE_LIMIT = 5_000;

export class RunStates {
  readonly #states = new Map<string, RunState>();

  get(runId: string): RunState | undefined {
    return this.#states.get(runId);
  }

  has(runId: string): boolean {
    return this.#states.has(runId);
  }

  delete(runId: string): void {
    this.#states.delete(runId);
  }

  remember(state: RunState): void {
    if (this.#states.size >= CACHE_LIMIT) {
      const oldest = this.#states.keys().next().value;
      if (oldest !== undefined) this.#states.delete(oldest);
    }
    this.#states.set(state.id, state);
  }

  /** The sequence number up to which the run's state is cached, if it is. */
  cachedSeq(runId: string): number | undefined {
    return this.#states.get(runId)?.seq;
  }

  /**
   * Takes a run's history read elsewhere (with a claim) as its state, unless the cached
   * state is as new. `after` > 0: `events` are only those after that sequence number,
   * applied to the cached state when it reaches that far (else the run is dropped, to be
   * read afresh when next used).
   */
  adopt(runId: string, events: readonly RunEvent[], after = 0): void {
    const last = events.at(-1);
    if (!last) return;
    const cached = this.#states.get(runId);
    if (cached && cached.seq >= last.seq) return;
    if (after === 0) this.remember(replay(runId, events));
    else if (!cached || cached.seq < after) this.delete(runId);
    else for (const event of events) if (event.seq > cached.seq) evolve(cached, event);
  }
}
