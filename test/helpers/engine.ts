/** Test harness: an engine on an in-memory SQLite store with a manual clock and a running worker. */
import { createEngine, type Engine, type EngineOptions } from '../../src/runtime/engine.ts';
import type { Worker } from '../../src/runtime/worker.ts';
import { ManualClock } from '../../src/util/clock.ts';

export interface TestEngine {
  engine: Engine;
  clock: ManualClock;
  worker: Worker;
  /** Registers a YAML workflow and returns its name. */
  define(yaml: string): Promise<string>;
  /** Moves simulated time forward and lets the worker pick up what fell due. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function testEngine(
  options: EngineOptions & { manualClock?: boolean; leaseMs?: number } = {},
): Promise<TestEngine> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let seq = 0;
  const engine = await createEngine({
    store: 'memory',
    clock: options.manualClock === false ? undefined : clock,
    ids: () => `run-${++seq}`,
    allowHosts: ['127.0.0.1'],
    ...options,
  });
  const worker = engine.startWorker({ pollMs: 20, leaseMs: options.leaseMs ?? 86_400_000 });
  return {
    engine,
    clock,
    worker,
    define: async (yaml: string) => (await engine.register(yaml)).name,
    async advance(ms: number) {
      clock.advance(ms);
      worker.wake();
      await new Promise((resolve) => setTimeout(resolve, 30));
    },
    close: () => engine.close(),
  };
}

/** Event types of a run's history, in order, optionally only those touching one path. */
export async function eventTypes(engine: Engine, runId: string, path?: string): Promise<string[]> {
  const history = await engine.history(runId);
  return history.filter((e) => path === undefined || ('path' in e && e.path === path)).map((e) => e.type);
}

/** Polls until `check` returns true (for states reached asynchronously), failing after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
