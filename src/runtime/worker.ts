/**
 * Claims due tasks from the store and runs them, holding each under a lease that a
 * heartbeat renews. Work is never held only in memory: a worker that dies simply stops
 * renewing, and any worker claims the task again once the lease expires.
 *
 * A worker sleeps until work is due. Where the store pushes notices (PostgreSQL
 * LISTEN/NOTIFY) it wakes when another process enqueues work, or sets a timer for work
 * enqueued for later, and polls only slowly as a safety net; elsewhere it polls.
 */
import type { Logger } from 'pino';
import type { TaskKind } from '../core/tasks.ts';
import type { ClaimedTask, ClaimOptions, Store, TasksAvailable } from '../store/types.ts';
import type { Clock } from '../util/clock.ts';
import { KnownRuns } from './known-runs.ts';
import { type InFlight, LeaseHeartbeat, lease } from './lease-heartbeat.ts';
import { delay, isStoreUnavailable } from './store-retry.ts';

/** Poll interval of stores that push notices (a safety net) and of stores that do not. */
export const NOTIFIED_POLL_MS = 5_000;
export const POLL_MS = 250;
/**
 * First and longest pause after a failed claim, or when work looks due but this worker
 * claimed nothing (it is leased, outside its queues/kinds, or held back by a full
 * concurrency limit). Never 0: synchronous stores would starve the event loop.
 */
const MIN_BACKOFF_MS = 5;
const MAX_BLOCKED_MS = 1_000;
const FIRST_TASK_RETRY_MS = 250;
const MAX_TASK_RETRY_MS = 5_000;

/**
 * While busy, a worker lets freed slots accumulate for up to this long before claiming,
 * so that one claim query fills several slots instead of one query per finished task.
 */
const CLAIM_COALESCE_MS = 2;

export interface WorkerOptions {
  /** Identifies this worker in leases; defaults to host:pid:random. */
  id?: string;
  /** Tasks executed at once. */
  concurrency?: number;
  leaseMs?: number;
  /**
   * Longest sleep between checks for work enqueued by other processes: 5 s where the store
   * pushes notices (a safety net), 250 ms where it does not (SQLite shared by processes).
   */
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

export class Worker {
  readonly id: string;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #run: TaskRunner;
  readonly #log: Logger;
  readonly #options: Required<Pick<WorkerOptions, 'concurrency' | 'leaseMs' | 'pollMs'>> & WorkerOptions;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #known: KnownRuns;
  readonly #handOff: ClaimOptions;
  /** Free slots worth a claim query while other tasks still run (see CLAIM_COALESCE_MS). */
  readonly #claimBatch: number;
  #partialSince?: number;
  #running = false;
  #loop?: Promise<void>;
  #wake?: () => void;
  #wakeRequested = false;
  #heartbeat?: LeaseHeartbeat;
  #unsubscribe?: () => void;
  /** A wake-up set for work another process enqueued for later. */
  #timer?: { at: number; handle: NodeJS.Timeout };
  #backoffMs = MIN_BACKOFF_MS;

  /**
   * `cachedSeq`: how far the worker's cached state of a run reaches, so claims fetch only
   * newer history (KnownRuns).
   */
  constructor(
    store: Store,
    clock: Clock,
    run: TaskRunner,
    log: Logger,
    options: WorkerOptions = {},
    cachedSeq: (runId: string) => number | undefined = () => undefined,
  ) {
    this.#known = new KnownRuns(cachedSeq);
    this.#store = store;
    this.#clock = clock;
    this.#run = run;
    this.#log = log;
    this.id = options.id ?? `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const pollMs = store.onTasksAvailable ? NOTIFIED_POLL_MS : POLL_MS;
    this.#options = { concurrency: 32, leaseMs: 30_000, pollMs, ...options };
    this.#claimBatch = Math.max(1, Math.min(8, Math.floor(this.#options.concurrency / 8)));
    this.#handOff = {
      owner: this.id,
      limit: 1,
      leaseMs: this.#options.leaseMs,
      queues: options.queues,
      kinds: options.kinds,
    };
  }

  get concurrency(): number {
    return this.#options.concurrency;
  }

  get leaseMs(): number {
    return this.#options.leaseMs;
  }

  get pollMs(): number {
    return this.#options.pollMs;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#main();
    this.#heartbeat = new LeaseHeartbeat(this.#store, this.#log, this.#options.leaseMs, () => this.#inFlight);
    this.#heartbeat.start();
    this.#unsubscribe = this.#store.onTasksAvailable?.((notice) => this.#onNotice(notice));
  }

  /** Another process enqueued work: wake now if it is due (or nearly), else at its time. */
  #onNotice(notice: TasksAvailable): void {
    const queues = this.#options.queues;
    if (queues?.length && notice.queues && !notice.queues.some((q) => queues.includes(q))) return;
    const wait = notice.runAt === undefined ? 0 : notice.runAt - this.#clock.now();
    if (wait <= MIN_BACKOFF_MS) {
      this.wake();
      return;
    }
    const at = notice.runAt as number;
    if (this.#timer && this.#timer.at <= at) return;
    if (this.#timer) clearTimeout(this.#timer.handle);
    const handle = setTimeout(() => {
      this.#timer = undefined;
      this.wake();
    }, wait);
    handle.unref();
    this.#timer = { at, handle };
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
    this.#unsubscribe?.();
    if (this.#timer) clearTimeout(this.#timer.handle);
    this.#timer = undefined;
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
    this.#heartbeat?.stop();
  }

  async #main(): Promise<void> {
    while (this.#running) {
      this.#wakeRequested = false;
      let claimed: ClaimedTask[] = [];
      const capacity = this.#options.concurrency - this.#inFlight.size;
      if (capacity > 0 && capacity < this.#claimBatch && this.#inFlight.size > 0) {
        // Real time, not the injected clock: this only paces queries, and a test's manual
        // clock would otherwise hold the claim back for ever.
        this.#partialSince ??= performance.now();
        const waited = performance.now() - this.#partialSince;
        if (waited < CLAIM_COALESCE_MS) {
          await this.#sleep(CLAIM_COALESCE_MS - waited);
          continue;
        }
      }
      this.#partialSince = undefined;
      if (capacity > 0) {
        try {
          claimed = await this.#store.claimTasks({
            owner: this.id,
            limit: capacity,
            leaseMs: this.#options.leaseMs,
            queues: this.#options.queues,
            kinds: this.#options.kinds,
            knownRuns: this.#known.of([...this.#inFlight.values()].map((flight) => flight.task.runId)),
          });
        } catch (error) {
          this.#log.error({ err: error }, 'claiming tasks failed; retrying');
          await this.#sleep(this.#nextBackoff(this.#options.pollMs));
          continue;
        }
        for (const task of claimed) this.#execute(task);
      }
      if (claimed.length > 0) this.#backoffMs = MIN_BACKOFF_MS;
      if (claimed.length > 0 && claimed.length === capacity) continue;
      if (this.#wakeRequested) continue;
      await this.#sleep(await this.#sleepTime(capacity > 0));
    }
  }

  /** The current backoff (at most `max`), doubled for next time. */
  #nextBackoff(max: number): number {
    const wait = Math.min(max, this.#backoffMs);
    this.#backoffMs = Math.min(max, this.#backoffMs * 2);
    return wait;
  }

  #execute(task: ClaimedTask): void {
    // Re-claiming a task this worker still runs means its lease expired meanwhile: the old
    // execution can no longer commit, so stop it rather than run the step twice here.
    this.#inFlight.get(task.id)?.controller.abort(new Error('lease expired and was re-acquired'));
    const controller = new AbortController();
    const promise = this.#runRetrying(task, controller.signal)
      .catch((error) => {
        this.#log.error({ err: error, taskId: task.id }, 'task failed unexpectedly');
        return undefined;
      })
      .then((next) => {
        if (this.#inFlight.get(task.id)?.controller === controller) this.#inFlight.delete(task.id);
        this.#known.finished(task.runId);
        if (!next?.length) return this.wake();
        // The commit leased these to us: run them in the freed slot, or give them back when stopping.
        if (!this.#running) return this.#release(next);
        for (const follow of next) this.#execute(follow);
      });
    this.#inFlight.set(task.id, { task, controller, promise });
  }

  /**
   * Runs a task again while the database is unreachable and the lease may still be held.
   * A repeat may re-run the step's handler (side effects are at least once); its result is
   * still recorded once, and a repeat whose lease is gone by then is refused and recorded.
   */
  async #runRetrying(task: ClaimedTask, signal: AbortSignal): Promise<ClaimedTask[] | undefined> {
    let wait = FIRST_TASK_RETRY_MS;
    for (;;) {
      try {
        return await this.#run(task, signal, this.#handOff);
      } catch (error) {
        if (!isStoreUnavailable(error) || signal.aborted || !this.#running) throw error;
        this.#log.warn({ err: error, taskId: task.id }, 'the store is unavailable; retrying the task');
        await delay(wait);
        wait = Math.min(MAX_TASK_RETRY_MS, wait * 2);
        if (signal.aborted || !this.#running) throw error;
      }
    }
  }

  async #release(tasks: readonly ClaimedTask[]): Promise<void> {
    for (const task of tasks) await this.#store.releaseTask(lease(task)).catch(() => undefined);
  }

  async #sleepTime(hasCapacity: boolean): Promise<number> {
    if (!hasCapacity) return this.#options.pollMs;
    try {
      const next = await this.#store.nextWakeup();
      if (next === undefined) return this.#options.pollMs;
      const wait = next - this.#clock.now();
      if (wait <= 0) return this.#nextBackoff(Math.min(this.#options.pollMs, MAX_BLOCKED_MS));
      return Math.min(this.#options.pollMs, wait);
    } catch {
      return this.#nextBackoff(this.#options.pollMs);
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
}
