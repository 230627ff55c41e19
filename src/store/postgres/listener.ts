/**
 * One dedicated connection per store that LISTENs on `baton_tasks`, so workers sleep until
 * a commit enqueues work instead of polling, and on `baton_runs`, so a process waiting on a
 * run hears of its outcome at once. It connects on the first subscriber and reconnects with
 * backoff after any error; on reconnecting it wakes every subscriber once, because
 * notifications sent while it was away are lost.
 */
import { Client, type ClientConfig, type Notification } from 'pg';
import type { TasksAvailable } from '../types.ts';
import { RUNS_CHANNEL, TASKS_CHANNEL } from './sql-clock.ts';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

export class TaskListener {
  readonly #config: ClientConfig;
  readonly #schema: string;
  readonly #onError: (error: unknown) => void;
  readonly #subscribers = new Set<(notice: TasksAvailable) => void>();
  readonly #runSubscribers = new Set<(runIds: readonly string[]) => void>();
  #client?: Client;
  #retry?: NodeJS.Timeout;
  #backoff = MIN_BACKOFF_MS;
  #closed = false;
  #listening: Promise<void> = new Promise(() => undefined);
  #markListening: () => void = () => undefined;

  constructor(config: ClientConfig, schema: string, onError: (error: unknown) => void) {
    this.#config = config;
    this.#schema = schema;
    this.#onError = onError;
    this.#resetListening();
  }

  subscribe(subscriber: (notice: TasksAvailable) => void): () => void {
    this.#subscribers.add(subscriber);
    this.#ensureConnected();
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /** Calls `subscriber` with runs that reached an outcome (none after a reconnect: re-check). */
  subscribeRuns(subscriber: (runIds: readonly string[]) => void): () => void {
    this.#runSubscribers.add(subscriber);
    this.#ensureConnected();
    return () => {
      this.#runSubscribers.delete(subscriber);
    };
  }

  #ensureConnected(): void {
    if (!this.#client && !this.#retry && !this.#closed) void this.#connect(false);
  }

  /** Resolves once LISTEN is active (again, after a reconnect). */
  listening(): Promise<void> {
    return this.#listening;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #resetListening(): void {
    this.#listening = new Promise((resolve) => {
      this.#markListening = resolve;
    });
  }

  async #connect(reconnecting: boolean): Promise<void> {
    this.#retry = undefined;
    if (this.#closed) return;
    const client = new Client(this.#config);
    this.#client = client;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      if (this.#client === client) this.#client = undefined;
      client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#onError(error);
      this.#resetListening();
      this.#retry = setTimeout(() => void this.#connect(true), this.#backoff);
      this.#retry.unref();
      this.#backoff = Math.min(MAX_BACKOFF_MS, this.#backoff * 2);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('Connection ended: the LISTEN connection closed')));
    client.on('notification', (message) => this.#deliver(message));
    try {
      await client.connect();
      await client.query(`LISTEN ${TASKS_CHANNEL}; LISTEN ${RUNS_CHANNEL}`);
    } catch (error) {
      fail(error);
      return;
    }
    if (failed || this.#closed) return;
    this.#backoff = MIN_BACKOFF_MS;
    this.#markListening();
    if (reconnecting) {
      this.#dispatch({});
      this.#dispatchRuns([]);
    }
  }

  #deliver(message: Notification): void {
    if (message.channel === RUNS_CHANNEL) {
      this.#deliverRuns(message.payload);
      return;
    }
    if (message.channel !== TASKS_CHANNEL || !message.payload) return;
    let notice: { schema?: string; runAt?: number | null; queues?: string[] | null };
    try {
      notice = JSON.parse(message.payload);
    } catch {
      return;
    }
    if (notice.schema !== this.#schema) return;
    this.#dispatch({
      ...(typeof notice.runAt === 'number' ? { runAt: notice.runAt } : {}),
      ...(Array.isArray(notice.queues) ? { queues: notice.queues } : {}),
    });
  }

  #deliverRuns(payload: string | undefined): void {
    let notice: { schema?: string; runs?: unknown };
    try {
      notice = JSON.parse(payload ?? '');
    } catch {
      return;
    }
    if (notice.schema !== this.#schema || !Array.isArray(notice.runs)) return;
    this.#dispatchRuns(notice.runs.filter((id): id is string => typeof id === 'string'));
  }

  #dispatchRuns(runIds: readonly string[]): void {
    for (const subscriber of this.#runSubscribers) {
      try {
        subscriber(runIds);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  #dispatch(notice: TasksAvailable): void {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(notice);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
