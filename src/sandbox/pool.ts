import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BatonError } from '../errors.ts';
import { fromSerialized, sandboxFailure, scriptAborted } from './failures.ts';
import {
  ABORT_SLOT,
  type RunRequest,
  type RunSuccess,
  type SyntaxRequest,
  type SyntaxSuccess,
  type WorkerReply,
} from './protocol.ts';

// Resolves to worker-main.ts when running from source and worker-main.js once compiled.
const WORKER_URL = new URL(`./worker-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
/** QuickJS frames in WASM use about 3x their QuickJS-accounted stack on the native stack. */
const WORKER_STACK_MB = 24;
/** How long a worker may take to notice an abort before it is terminated. */
const ABORT_GRACE_MS = 1_000;

export type JobRequest = Omit<RunRequest, 'id'> | Omit<SyntaxRequest, 'id'>;
export type JobResult = RunSuccess | SyntaxSuccess;

export interface SubmitOptions {
  /** The worker is terminated if it has not answered after this long... */
  hangAfterMs: number;
  /** ...and the job fails with this error. */
  hangError: () => BatonError;
  signal?: AbortSignal;
}

interface Job {
  id: number;
  request: JobRequest;
  options: SubmitOptions;
  settled: boolean;
  resolve: (result: JobResult) => void;
  reject: (error: BatonError) => void;
}

interface SandboxThread {
  worker: Worker;
  abortFlags: Int32Array;
  ready: boolean;
  gone: boolean;
  job: Job | undefined;
  watchdog: NodeJS.Timeout | undefined;
}

/**
 * A lazily grown set of sandbox worker threads, each running one script at a time. Idle workers
 * are unref'd so they never keep the process alive; a worker that hangs, crashes or reports a
 * damaged WASM module is terminated and replaced on demand.
 */
export class SandboxPool {
  readonly #maxThreads: number;
  readonly #threads = new Set<SandboxThread>();
  #queue: Job[] = [];
  #lastId = 0;

  constructor(maxThreads: number) {
    this.#maxThreads = maxThreads;
  }

  submit(request: JobRequest, options: SubmitOptions): Promise<JobResult> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(scriptAborted(signal.reason));
    return new Promise<JobResult>((resolve, reject) => {
      const onAbort = () => this.#abort(job);
      const finish = () => {
        job.settled = true;
        signal?.removeEventListener('abort', onAbort);
      };
      const job: Job = {
        id: this.#nextId(),
        request,
        options,
        settled: false,
        resolve: (result) => {
          if (job.settled) return;
          finish();
          resolve(result);
        },
        reject: (error) => {
          if (job.settled) return;
          finish();
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Fails every queued and running job and terminates all workers. */
  async close(): Promise<void> {
    const error = sandboxFailure('the script sandbox was shut down');
    for (const job of this.#queue.splice(0)) job.reject(error);
    const threads = [...this.#threads];
    for (const thread of threads) thread.job?.reject(error);
    await Promise.all(threads.map((thread) => this.#retire(thread)));
  }

  #nextId(): number {
    this.#lastId = this.#lastId >= 0x7fffffff ? 1 : this.#lastId + 1;
    return this.#lastId;
  }

  #abort(job: Job): void {
    const thread = [...this.#threads].find((candidate) => candidate.job === job);
    if (thread) {
      Atomics.store(thread.abortFlags, ABORT_SLOT, job.id);
      this.#armWatchdog(thread, ABORT_GRACE_MS);
    } else {
      this.#queue = this.#queue.filter((queued) => queued !== job);
    }
    job.reject(scriptAborted(job.options.signal?.reason));
  }

  #pump(): void {
    for (const thread of this.#threads) {
      if (this.#queue.length === 0) break;
      if (thread.ready && !thread.job) this.#dispatch(thread, this.#queue.shift()!);
    }
    let starting = [...this.#threads].filter((thread) => !thread.ready).length;
    while (this.#queue.length > starting && this.#threads.size < this.#maxThreads) {
      try {
        this.#spawn();
      } catch (cause) {
        const error = sandboxFailure(`could not start a script sandbox worker: ${String(cause)}`, cause);
        for (const job of this.#queue.splice(0)) job.reject(error);
        return;
      }
      starting++;
    }
  }

  #dispatch(thread: SandboxThread, job: Job): void {
    thread.job = job;
    Atomics.store(thread.abortFlags, ABORT_SLOT, 0);
    thread.worker.ref();
    thread.worker.postMessage({ ...job.request, id: job.id });
    this.#armWatchdog(thread, job.options.hangAfterMs);
  }

  #armWatchdog(thread: SandboxThread, afterMs: number): void {
    clearTimeout(thread.watchdog);
    thread.watchdog = setTimeout(() => {
      const job = thread.job;
      void this.#retire(thread);
      job?.reject(job.options.hangError());
      this.#pump();
    }, afterMs);
  }

  #spawn(): void {
    const abortBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const worker = new Worker(WORKER_URL, {
      name: 'baton-script-sandbox',
      workerData: { abortBuffer },
      // The host's flags (--input-type, --eval, test runner flags...) do not apply to the worker,
      // and some of them stop it from loading; it needs none (type stripping is on by default).
      execArgv: [],
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
    });
    const thread: SandboxThread = {
      worker,
      abortFlags: new Int32Array(abortBuffer),
      ready: false,
      gone: false,
      job: undefined,
      watchdog: undefined,
    };
    this.#threads.add(thread);
    worker.on('message', (reply: WorkerReply) => this.#onReply(thread, reply));
    worker.on('error', (error) => this.#onLost(thread, error));
    worker.on('exit', (exitCode) => this.#onLost(thread, `exit code ${exitCode}`));
  }

  #onReply(thread: SandboxThread, reply: WorkerReply): void {
    if (reply.type === 'ready') {
      thread.ready = true;
    } else {
      const job = thread.job;
      if (!job || job.id !== reply.id) return;
      clearTimeout(thread.watchdog);
      thread.job = undefined;
      if (reply.ok) job.resolve(reply.result);
      else job.reject(fromSerialized(reply.error));
      if (reply.recycle) void this.#retire(thread);
    }
    this.#pump();
    if (!thread.job && !thread.gone) thread.worker.unref();
  }

  #onLost(thread: SandboxThread, cause: unknown): void {
    if (thread.gone) return;
    const wasReady = thread.ready;
    void this.#retire(thread);
    const message = cause instanceof Error ? cause.message : String(cause);
    thread.job?.reject(sandboxFailure(`script sandbox worker stopped unexpectedly (${message})`, cause));
    // A worker that cannot even start would fail again at once; fail the waiting jobs instead of looping.
    if (!wasReady) {
      const error = sandboxFailure(`script sandbox worker failed to start (${message})`, cause);
      for (const job of this.#queue.splice(0)) job.reject(error);
    }
    this.#pump();
  }

  async #retire(thread: SandboxThread): Promise<void> {
    if (thread.gone) return;
    thread.gone = true;
    clearTimeout(thread.watchdog);
    this.#threads.delete(thread);
    await thread.worker.terminate();
  }
}
