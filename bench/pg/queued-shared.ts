/**
 * What both sides' queued workloads do the same way: starting runs at random moments on
 * an idle worker, matching the worker's timestamps with the start times, and filling a
 * backlog with a bounded number of calls in flight.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { wallNow } from './plan.ts';

/** Unmeasured starts first, to warm connections and caches on both ends. */
const WARMUP_STARTS = 5;

/** When each run's first step started, as the worker process reported it (`T <id> <ms>` lines). */
export class FirstSteps {
  readonly #seen = new Map<string, number>();
  readonly #waiters = new Map<string, () => void>();

  /** Feed it the worker's stdout lines. */
  line = (line: string): void => {
    const [tag, id, at] = line.split(' ');
    if (tag !== 'T') return;
    this.#seen.set(id, Number(at));
    this.#waiters.get(id)?.();
  };

  async wait(id: string, timeoutMs: number): Promise<number> {
    if (!this.#seen.has(id)) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve, reject) => {
        this.#waiters.set(id, resolve);
        timer = setTimeout(
          () => reject(new Error(`run ${id} did not start a step within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }).finally(() => {
        clearTimeout(timer);
        this.#waiters.delete(id);
      });
    }
    return this.#seen.get(id) as number;
  }
}

/**
 * Starts `samples` runs (after a few unmeasured ones) with ids `lat-<i>`, open-loop, one
 * every 20–80 ms at random: a run arrives at an idle worker (each finishes in
 * milliseconds), at a moment unrelated to anything the worker does (its polling phase, if
 * it polls). Returns, per run, start call → first step body starting, in ms.
 */
export async function openLoopStarts(
  samples: number,
  start: (runId: string) => Promise<void>,
  firstSteps: FirstSteps,
): Promise<number[]> {
  const sent: [string, number][] = [];
  for (let i = 0; i < WARMUP_STARTS + samples; i++) {
    await sleep(20 + Math.random() * 60);
    const runId = `lat-${i}`;
    const before = wallNow();
    await start(runId);
    if (i >= WARMUP_STARTS) sent.push([runId, before]);
  }
  return Promise.all(sent.map(async ([runId, before]) => (await firstSteps.wait(runId, 60_000)) - before));
}

/** Calls `start(0..count-1)`, 16 calls in flight at a time. */
export async function enqueueAll(count: number, start: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await start(next++);
  };
  await Promise.all(Array.from({ length: 16 }, lane));
}
