/**
 * Which runs a worker's claim says it already holds (ClaimOptions.knownRuns), so that a
 * store shipping histories with claims sends only what is newer: the runs of the tasks in
 * flight and of the last ones finished — the runs whose next tasks a claim most likely
 * takes (a wide map's items) — with the sequence number their cached state reaches.
 */
export class KnownRuns {
  readonly #seqOf: (runId: string) => number | undefined;
  readonly #limit: number;
  /** Recently finished tasks' runs, oldest first (a Set keeps insertion order). */
  readonly #recent = new Set<string>();

  constructor(seqOf: (runId: string) => number | undefined, limit = 64) {
    this.#seqOf = seqOf;
    this.#limit = limit;
  }

  /** A task of `runId` finished on this worker. */
  finished(runId: string): void {
    this.#recent.delete(runId);
    this.#recent.add(runId);
    if (this.#recent.size > this.#limit) this.#recent.delete(this.#recent.values().next().value as string);
  }

  /** The cached runs among `inFlight` and the recent ones, with their sequence numbers. */
  of(inFlight: Iterable<string>): Map<string, number> {
    const known = new Map<string, number>();
    const add = (runId: string) => {
      if (known.has(runId)) return;
      const seq = this.#seqOf(runId);
      if (seq !== undefined) known.set(runId, seq);
    };
    for (const runId of inFlight) add(runId);
    for (const runId of this.#recent) add(runId);
    return known;
  }
}
