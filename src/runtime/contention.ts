/**
 * Runs that other processes commit to at the same time as this one — the items of a wide
 * map finishing on several workers. Every commit is checked against the run's sequence
 * number, and a loser used to re-read the run's whole history and try again at once: on a
 * 1,000-item map over four workers the history reads grew with the square of the width
 * and the retries could starve one another. For a run seen to conflict, the caller keeps a
 * copy of the state it decided on, so that a conflict costs only the events appended since,
 * and repeated conflicts back off for a random moment so that the contenders spread out.
 */

/** How many contended runs are remembered (the oldest is forgotten first). */
const REMEMBERED = 1_000;
/** Conflicts in a row retried at once, before backing off. */
const IMMEDIATE_RETRIES = 2;
/** Longest backoff after repeated conflicts, in milliseconds. */
const MAX_BACKOFF_MS = 50;

export class Contention {
  readonly #runs = new Set<string>();
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  /** `random` in [0, 1) spreads the backoff; `sleep` waits (both injectable for tests). */
  constructor(
    random: () => number = Math.random,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.#random = random;
    this.#sleep = sleep;
  }

  /** Whether `runId` has lost a commit to another process recently. */
  has(runId: string): boolean {
    return this.#runs.has(runId);
  }

  /** Records that a commit on `runId` lost to another process. */
  conflicted(runId: string): void {
    this.#runs.delete(runId);
    this.#runs.add(runId);
    if (this.#runs.size > REMEMBERED) {
      const oldest = this.#runs.values().next().value;
      if (oldest !== undefined) this.#runs.delete(oldest);
    }
  }

  /** Waits before retry number `conflicts` (1 for the first conflict in a row): nothing at first, then up to 2^n ms. */
  async backOff(conflicts: number): Promise<void> {
    if (conflicts <= IMMEDIATE_RETRIES) return;
    const ceiling = Math.min(MAX_BACKOFF_MS, 2 ** (conflicts - IMMEDIATE_RETRIES));
    await this.#sleep(this.#random() * ceiling);
  }
}
