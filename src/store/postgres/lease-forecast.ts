/**
 * Whether a worker's step result will lease the tasks it adds. The one-statement commit is
 * cheapest when it will: it leaves out the NOTIFY part and hands the completed task's row to
 * the next task (one-statement-sql.ts). A task due by the worker's clock usually is leased;
 * it is not when a concurrency limit covers its queue or workflow, or when the database's
 * clock is behind the worker's. Each such miss costs a second statement, so a queue and
 * workflow that missed are expected to miss again for a minute.
 */
const FORGET_AFTER_MS = 60_000;
/** Beyond this many remembered misses, all are forgotten: a forecast, not a registry. */
const MAX_REMEMBERED = 1_000;

export class LeaseForecast {
  readonly #missedAt = new Map<string, number>();

  /** True unless tasks of \`queue\` in runs of \`workflow\` missed their lease within the last minute before \`now\`. */
  expectsLease(queue: string, workflow: string, now: number): boolean {
    const missedAt = this.#missedAt.get(key(queue, workflow));
    if (missedAt === undefined) return true;
    if (now - missedAt < FORGET_AFTER_MS) return false;
    this.#missedAt.delete(key(queue, workflow));
    return true;
  }

  missed(queue: string, workflow: string, now: number): void {
    if (this.#missedAt.size >= MAX_REMEMBERED) this.#missedAt.clear();
    this.#missedAt.set(key(queue, workflow), now);
  }
}

function key(queue: string, workflow: string): string {
  return `${queue}\u0000${workflow}`;
}
