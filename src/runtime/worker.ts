/**
 * Claims due tasks from the store and runs them, holding each under a lease that a
 * heartbeat renews. Work is never held only in memory: a worker that dies simply stops
 * renewing, and any worker claims the task again once the lease expires.
 */
import type { Logger } from 'pino';
import type { TaskKind } from '../core/tasks.ts';
import type { ClaimedTask, ClaimOptions, Lease, Store } from '../store/types.ts';
import type { Clock } from '../util/clock.ts';

/** Shortest idle sleep after a claim that found nothing. */
const MIN_IDLE_SLEEP_MS = 5;

export interface WorkerOptions {
  /** Identifies this worker in leases; defaults to host:pid:random. */
  id?: string;
  /** Tasks executed at once. */
  concurrency?: number;
  leaseMs?: number;
  /** Longest sleep between checks for work enqueued by other processes. */
  pollMs?: number;
  queues?: readonly string[];
  kinds?: readonly TaskKind[];
}

/**
 * Runs one claimed task. `handOff` asks the store to lease a task the result makes due
 * (the run's next step) to this worker in the same commit; the runner returns those
 * tasks, and the worker runs them at once in the slot the finished task frees.
 */
export type TaskRunner = (
  task: ClaimedTask,
  signal: AbortSignal,
  handOff?: ClaimOptions,
) => Promise<ClaimedTask[] | undefined>;

interface InFlight {
  task: ClaimedTask;
  controller: AbortController;
  promise: Promise<void>;
}

export class Worker {
  readonly id: string;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #run: TaskRunner;
  readonly #log: Logger;
  readonly #options: Required<Pick<WorkerOptions, 'concurrency' | 'leaseMs' | 'pollMs'>> & WorkerOptions;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #handOff: ClaimOptions;
  #running = false;
  #loop?: Promise<void>;
  #wake?: () => void;
  #wakeRequested = false;
  #heartbeat?: NodeJS.Timeout;

  constructor(store: Store, clock: Clock, run: TaskRunner, log: Logger, options: WorkerOptions = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#run = run;
    this.#log = log;
    this.id = options.id ?? `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    this.#options = { concurrency: 32, leaseMs: 30_000, pollMs: 250, ...options };
    this.#handOff = {
      owner: this.id,
      limit: 1,
      leaseMs: this.#options.leaseMs,
      queues: options.queues,
      kinds: options.kinds,
    };
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#main();
    this.#heartbeat = setInterval(
      () => void this.#renew(),
      Math.max(50, Math.floor(this.#options.leaseMs / 3)),
    );
    this.#heartbeat.unref();
  }

  /** Asks the loop to look for work now (work was just enqueued in this process). */
  wake(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  /** Aborts in-flight executions of one run (it was cancelled). */
  abortRun(runId: string, reason: string): void {
    for (const flight of this.#inFlight.values()) {
      if (flight.task.runId === runId) flight.controller.abort(new Error(reason));
    }
  }

  /**
   * Stops claiming. In-flight tasks get `graceMs` to finish; the rest are aborted and
   * their leases released so another worker can take them at once.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.wake();
    await this.#loop;
    const pending = [...this.#inFlight.values()];
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    const finished = await Promise.race([
      Promise.allSettled(pending.map((p) => p.promise)).then(() => 'done' as const),
      timer,
    ]);
    if (finished === 'timeout') {
      for (const flight of this.#inFlight.values()) {
        flight.controller.abort(new Error('worker shutting down'));
        await this.#store.releaseTask(lease(flight.task)).catch(() => undefined);
      }
      await Promise.allSettled([...this.#inFlight.values()].map((p) => p.promise));
    }
    if (this.#heartbeat) clearInterval(this.#heartbeat);
  }

  async #main(): Promise<void> {
    while (this.#running) {
      this.#wakeRequested = false;
      let claimed: ClaimedTask[] = [];
      const capacity = this.#options.concurrency - this.#inFlight.size;
      if (capacity > 0) {
        try {
          claimed = await this.#store.claimTasks({
            owner: this.id,
            limit: capacity,
            leaseMs: this.#options.leaseMs,
            queues: this.#options.queues,
            kinds: this.#options.kinds,
          });
        } catch (error) {
          this.#log.error({ err: error }, 'claiming tasks failed; retrying');
          await this.#sleep(this.#options.pollMs);
          continue;
        }
        for (const task of claimed) this.#execute(task);
      }
      if (claimed.length > 0 && claimed.length === capacity) continue;
      if (this.#wakeRequested) continue;
      await this.#sleep(await this.#sleepTime(capacity > 0));
    }
  }

  #execute(task: ClaimedTask): void {
    // Re-claiming a task this worker still runs means its lease expired meanwhile: the old
    // execution can no longer commit, so stop it rather than run the step twice here.
    this.#inFlight.get(task.id)?.controller.abort(new Error('lease expired and was re-acquired'));
    const controller = new AbortController();
    const promise = this.#run(task, controller.signal, this.#handOff)
      .catch((error) => {
        this.#log.error({ err: error, taskId: task.id }, 'task failed unexpectedly');
        return undefined;
      })
      .then((next) => {
        if (this.#inFlight.get(task.id)?.controller === controller) this.#inFlight.delete(task.id);
        if (!next?.length) return this.wake();
        // The commit leased these to us: run them in the freed slot, or give them back when stopping.
        if (!this.#running) return this.#release(next);
        for (const follow of next) this.#execute(follow);
      });
    this.#inFlight.set(task.id, { task, controller, promise });
  }

  async #release(tasks: readonly ClaimedTask[]): Promise<void> {
    for (const task of tasks) await this.#store.releaseTask(lease(task)).catch(() => undefined);
  }

  async #sleepTime(hasCapacity: boolean): Promise<number> {
    if (!hasCapacity) return this.#options.pollMs;
    try {
      const next = await this.#store.nextWakeup();
      if (next === undefined) return this.#options.pollMs;
      // We just claimed nothing, so work that looks due is leased or outside this worker's
      // queues/kinds: never sleep 0, or synchronous stores would starve the event loop.
      return Math.max(MIN_IDLE_SLEEP_MS, Math.min(this.#options.pollMs, next - this.#clock.now()));
    } catch {
      return this.#options.pollMs;
    }
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#wakeRequested || !this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  async #renew(): Promise<void> {
    if (this.#inFlight.size === 0) return;
    const flights = [...this.#inFlight.values()];
    try {
      const lost = new Set(
        await this.#store.renewLeases(
          flights.map((f) => lease(f.task)),
          this.#options.leaseMs,
        ),
      );
      for (const flight of flights) {
        if (lost.has(flight.task.id)) {
          this.#log.warn({ taskId: flight.task.id }, 'lease lost; aborting the task');
          flight.controller.abort(new Error('lease lost'));
        }
      }
    } catch (error) {
      this.#log.warn({ err: error }, 'renewing leases failed');
    }
  }
}

export function lease(task: ClaimedTask): Lease {
  return { taskId: task.id, owner: task.owner, token: task.token };
}
