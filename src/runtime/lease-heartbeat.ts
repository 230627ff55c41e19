/**
 * Renews the leases of the tasks a worker runs, every third of the lease, so a long step
 * keeps its task; a task whose lease was taken over is aborted, since its result can no
 * longer be recorded.
 */
import type { Logger } from 'pino';
import type { ClaimedTask, Lease, Store } from '../store/types.ts';

/** How long a task whose lease a renewal found gone may take to finish before it is aborted (see abortIfStillRunning). */
const LOST_LEASE_GRACE_MS = 500;

/** A task a worker is running. */
export interface InFlight {
  task: ClaimedTask;
  controller: AbortController;
  promise: Promise<void>;
}

export function lease(task: ClaimedTask): Lease {
  return { taskId: task.id, owner: task.owner, token: task.token };
}

export class LeaseHeartbeat {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #leaseMs: number;
  readonly #inFlight: () => ReadonlyMap<string, InFlight>;
  #timer?: NodeJS.Timeout;

  constructor(store: Store, log: Logger, leaseMs: number, inFlight: () => ReadonlyMap<string, InFlight>) {
    this.#store = store;
    this.#log = log;
    this.#leaseMs = leaseMs;
    this.#inFlight = inFlight;
  }

  start(): void {
    this.#timer = setInterval(() => void this.#renew(), Math.max(50, Math.floor(this.#leaseMs / 3)));
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async #renew(): Promise<void> {
    const running = this.#inFlight();
    if (running.size === 0) return;
    const flights = [...running.values()];
    try {
      const lost = new Set(
        await this.#store.renewLeases(
          flights.map((f) => lease(f.task)),
          this.#leaseMs,
        ),
      );
      for (const flight of flights) {
        if (lost.has(flight.task.id) && this.#isRunning(flight)) void this.#abortIfStillRunning(flight);
      }
    } catch (error) {
      this.#log.warn({ err: error }, 'renewing leases failed');
    }
  }

  #isRunning(flight: InFlight): boolean {
    return this.#inFlight().get(flight.task.id) === flight;
  }

  /**
   * A renewal that read the leases just after a task's own commit finds its row gone as
   * well; that commit's reply is then on its way. Only a task still running after a short
   * grace has really lost its lease (taken over after it expired): it is aborted, and its
   * result will not be recorded.
   */
  async #abortIfStillRunning(flight: InFlight): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), LOST_LEASE_GRACE_MS);
      timer.unref();
    });
    const finished = await Promise.race([flight.promise.then(() => true), graceOver]);
    clearTimeout(timer);
    if (finished || !this.#isRunning(flight)) return;
    this.#log.warn({ taskId: flight.task.id }, 'lease lost; aborting the task');
    flight.controller.abort(new Error('lease lost'));
  }
}
