/**
 * Where the SQLite store's writes go, and how commits are grouped.
 *
 * Group commit: commits requested in the same turn of the event loop are applied in one
 * transaction (one WAL append instead of one per request); each promise resolves after
 * COMMIT, and each request stays all-or-nothing on its own (see CommitWriter).
 *
 * Writes go to the store's own connection. With a writer thread allowed (opt-in: on the
 * 2-core benchmark machine it cost more CPU per step than it overlapped), when a group
 * commit holds many runs at once — a throughput workload, where the engine and SQLite each
 * have a core's worth of work — writes move to a writer thread (file databases only), so
 * that SQLite's share of each commit can overlap with the engine's. A thread costs about
 * 25 MiB, so light and latency-bound workloads (one chain, runs parked on approvals) never
 * start one, and a thread idle for THREAD_IDLE_MS is ended. Nothing is reordered by a
 * switch: writes move to the thread only between two batches, and back only when the
 * thread has nothing in flight.
 */
import type { DatabaseSync } from 'node:sqlite';
import { BatonError } from '../../errors.ts';
import type { Clock } from '../../util/clock.ts';
import type { CommitRequest, CommitResult } from '../types.ts';
import { encodeRequest } from './encode.ts';
import { fromThreadError } from './thread-error.ts';
import { SqliteWriter, type WriterOp } from './writer.ts';
import { InlineChannel, ThreadChannel, type WriterChannel } from './writer-channel.ts';

/** A group commit of at least this many requests moves writes to the writer thread. */
const THREAD_FROM = 24;
/** A writer thread with nothing to do for this long is ended. */
const THREAD_IDLE_MS = 30_000;
/**
 * With a writer thread, two batches are handed over at a time: while the thread commits one,
 * this thread handles the other's results and collects the next. A batch that everything
 * waits on is split in two to start that rhythm (if it is big enough to be worth two
 * transactions).
 */
const THREAD_BATCHES_IN_FLIGHT = 2;
const SPLIT_FROM = 8;

interface PendingCommit {
  request: CommitRequest;
  resolve(result: CommitResult): void;
  reject(error: unknown): void;
}

export interface WritePathOptions {
  /** The store's own connection, used for writes until a thread takes over. */
  db: DatabaseSync;
  clock: Clock;
  /** The database file, for a writer thread's connection; undefined: never start a thread. */
  threadPath?: string;
  /** 'auto' (the default): start a thread under load; 'always': write on a thread from the start. */
  thread?: 'auto' | 'always';
  /** How long a thread may idle before it ends (default THREAD_IDLE_MS); never with 'always'. */
  threadIdleMs?: number;
  busyTimeoutMs: number;
}

export class WritePath {
  readonly #clock: Clock;
  readonly #inline: InlineChannel;
  readonly #thread: ThreadChannel | undefined;
  readonly #threadIdleMs: number;
  #threadActive = false;
  #threadUsedAt = 0;
  #idleCheck: NodeJS.Timeout | undefined;
  #pending: PendingCommit[] = [];
  #flushScheduled = false;
  #batchesInFlight = 0;
  #whenIdle: (() => void)[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: WritePathOptions) {
    this.#clock = options.clock;
    this.#inline = new InlineChannel(new SqliteWriter(options.db));
    this.#thread =
      options.threadPath === undefined
        ? undefined
        : new ThreadChannel(options.threadPath, options.busyTimeoutMs);
    this.#threadIdleMs = options.threadIdleMs ?? THREAD_IDLE_MS;
    // 'always' never ends its thread: it is active from the start, without an idle check.
    if (this.#thread && options.thread === 'always') this.#threadActive = true;
  }

  /** Whether writes currently go to the writer thread. */
  get onThread(): boolean {
    return this.#threadActive;
  }

  #channel(): WriterChannel {
    if (this.#threadActive && this.#thread) {
      this.#threadUsedAt = performance.now();
      return this.#thread;
    }
    return this.#inline;
  }

  /** Any write but a commit, in order with the commits already handed over. */
  call<K extends WriterOp>(
    op: K,
    ...args: Parameters<SqliteWriter[K]>
  ): Promise<ReturnType<SqliteWriter[K]>> {
    if (this.#closing) return Promise.reject(this.#closedError());
    const channel = this.#channel() as {
      call(op: K, ...args: unknown[]): Promise<ReturnType<SqliteWriter[K]>>;
    };
    return channel.call(op, ...args);
  }

  commit(request: CommitRequest): Promise<CommitResult> {
    if (this.#closing) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => {
      this.#pending.push({ request, resolve, reject });
      this.#scheduleFlush();
    });
  }

  get #maxInFlight(): number {
    return this.#threadActive ? THREAD_BATCHES_IN_FLIGHT : 1;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#pending.length === 0 || this.#batchesInFlight >= this.#maxInFlight)
      return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#batchesInFlight < this.#maxInFlight) this.#flush();
    });
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    if (
      !this.#threadActive &&
      this.#thread &&
      this.#batchesInFlight === 0 &&
      this.#pending.length >= THREAD_FROM
    )
      this.#startThread();
    const split = this.#threadActive && this.#batchesInFlight === 0 && this.#pending.length >= SPLIT_FROM;
    const batch = split ? this.#pending.splice(0, this.#pending.length >> 1) : this.#pending;
    if (!split) this.#pending = [];
    this.#batchesInFlight++;
    this.#channel()
      .call(
        'commitBatch',
        batch.map((item) => encodeRequest(item.request)),
        this.#clock.now(),
      )
      .then(
        (outcomes) => {
          for (let i = 0; i < batch.length; i++) {
            const outcome = outcomes[i];
            if ('result' in outcome) batch[i].resolve(outcome.result);
            else batch[i].reject(fromThreadError(outcome.error));
          }
        },
        (error: unknown) => {
          for (const item of batch) item.reject(error);
        },
      )
      .finally(() => {
        this.#batchesInFlight--;
        if (this.#batchesInFlight === 0 && this.#pending.length === 0) {
          const waiting = this.#whenIdle;
          this.#whenIdle = [];
          for (const resolve of waiting) resolve();
        }
        if (this.#whenIdle.length > 0 && this.#pending.length > 0) this.#flush();
        else this.#scheduleFlush();
      });
    if (split) this.#flush();
  }

  #startThread(): void {
    this.#threadActive = true;
    this.#threadUsedAt = performance.now();
    this.#idleCheck = setInterval(
      () => {
        const idle = performance.now() - this.#threadUsedAt > this.#threadIdleMs;
        if (idle && this.#batchesInFlight === 0 && !this.#thread?.busy) void this.#stopThread();
      },
      Math.max(10, this.#threadIdleMs / 4),
    );
    this.#idleCheck.unref();
  }

  async #stopThread(): Promise<void> {
    this.#threadActive = false;
    clearInterval(this.#idleCheck);
    this.#idleCheck = undefined;
    await this.#thread?.close();
  }

  /** Commits what was already requested, then ends the writer thread. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#pending.length > 0 || this.#batchesInFlight > 0) {
        if (this.#pending.length > 0 && this.#batchesInFlight < this.#maxInFlight) this.#flush();
        else await new Promise<void>((resolve) => this.#whenIdle.push(resolve));
      }
      await this.#stopThread();
    })();
    return this.#closing;
  }

  #closedError(): BatonError {
    return new BatonError('STORE_CLOSED', 'the SQLite store is closed');
  }
}
