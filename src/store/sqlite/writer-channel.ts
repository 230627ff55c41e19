/**
 * How the SQLite store reaches its writer: on its own thread (`InlineChannel`, for an
 * in-memory database, which lives in one connection) or on a writer thread
 * (`ThreadChannel`, for a file), started on the first write so that read-only commands
 * never pay for it. Calls are answered in the order they were made.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BatonError } from '../../errors.ts';
import { fromThreadError, type ThreadError } from './thread-error.ts';
import type { SqliteWriter, WriterOp } from './writer.ts';

type Method<K extends WriterOp> = SqliteWriter[K] extends (...args: infer A) => infer R
  ? { args: A; result: R }
  : never;

export interface WriterChannel {
  call<K extends WriterOp>(op: K, ...args: Method<K>['args']): Promise<Method<K>['result']>;
  close(): Promise<void>;
}

export class InlineChannel implements WriterChannel {
  readonly #writer: SqliteWriter;

  constructor(writer: SqliteWriter) {
    this.#writer = writer;
  }

  call<K extends WriterOp>(op: K, ...args: Method<K>['args']): Promise<Method<K>['result']> {
    try {
      const method = this.#writer[op] as (...a: unknown[]) => Method<K>['result'];
      return Promise.resolve(method.apply(this.#writer, args));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async close(): Promise<void> {}
}

const THREAD_URL = new URL(`./writer-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ThreadError };

interface Call {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** One spawned writer thread and the calls waiting for its answers. */
interface Thread {
  worker: Worker;
  calls: Map<number, Call>;
}

export class ThreadChannel implements WriterChannel {
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  #thread: Thread | undefined;
  #nextId = 1;

  constructor(path: string, busyTimeoutMs: number) {
    this.#path = path;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  /** Whether a call is waiting for the thread. */
  get busy(): boolean {
    return (this.#thread?.calls.size ?? 0) > 0;
  }

  call<K extends WriterOp>(op: K, ...args: Method<K>['args']): Promise<Method<K>['result']> {
    return this.#send(this.#thread ?? this.#spawn(), op, args) as Promise<Method<K>['result']>;
  }

  #send(thread: Thread, op: string, args: unknown[]): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // The thread keeps the process alive only while a call waits for it.
      if (thread.calls.size === 0) thread.worker.ref();
      thread.calls.set(id, { resolve, reject });
      thread.worker.postMessage({ id, op, args });
    });
  }

  #spawn(): Thread {
    const worker = new Worker(THREAD_URL, {
      name: 'baton-sqlite-writer',
      workerData: { path: this.#path, busyTimeoutMs: this.#busyTimeoutMs },
      // The host's flags (--input-type, test runner flags...) do not apply to the thread.
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    worker.unref();
    const thread: Thread = { worker, calls: new Map() };
    worker.on('message', (reply: Reply) => {
      const call = thread.calls.get(reply.id);
      if (!call) return;
      thread.calls.delete(reply.id);
      if (thread.calls.size === 0) worker.unref();
      if (reply.ok) call.resolve(reply.value);
      else call.reject(fromThreadError(reply.error));
    });
    const fail = (error: BatonError) => {
      if (this.#thread === thread) this.#thread = undefined;
      const calls = [...thread.calls.values()];
      thread.calls.clear();
      for (const call of calls) call.reject(error);
    };
    worker.on('error', (error) =>
      fail(
        new BatonError(
          'STORE_WRITER_FAILED',
          `the SQLite writer for ${this.#path} failed: ${error.message}`,
          {
            cause: error,
          },
        ),
      ),
    );
    worker.on('exit', (code) =>
      fail(
        new BatonError('STORE_WRITER_FAILED', `the SQLite writer for ${this.#path} exited (code ${code})`),
      ),
    );
    this.#thread = thread;
    return thread;
  }

  /** Closes the thread's connection and ends it; a later call starts a new thread. */
  async close(): Promise<void> {
    const thread = this.#thread;
    if (!thread) return;
    this.#thread = undefined;
    await this.#send(thread, 'close', []);
    await thread.worker.terminate();
  }
}
