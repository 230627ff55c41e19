/**
 * What every workload shares: an engine on a fresh SQLite file (WAL, the embedded
 * default) in a temporary directory, a no-op task handler, commit timing taken from the
 * engine's own event stream, and memory readings after a full GC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/runtime/engine.ts';

export interface BenchEngine {
  engine: Engine;
  file: string;
  dispose(): Promise<void>;
}

export async function openBenchEngine(): Promise<BenchEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const file = join(dir, 'bench.db');
  const engine = await createEngine({ store: `sqlite:${file}` });
  engine.registerTask('noop', async () => null);
  return {
    engine,
    file,
    async dispose() {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A chain of `length` task steps (no-op unless `task` says otherwise), each needing the previous one. */
export function chainWorkflow(name: string, length: number, task = 'noop'): string {
  const steps = Array.from(
    { length },
    (_, i) => `  - { id: s${i}, task: ${task}${i === 0 ? '' : `, needs: [s${i - 1}]`} }`,
  );
  return `name: ${name}\nversion: 1.0.0\nsteps:\n${steps.join('\n')}\n`;
}

/** One map step fanning out over `width` no-op tasks. */
export function fanOutWorkflow(name: string, width: number): string {
  return `name: ${name}\nversion: 1.0.0\nsteps:\n  - id: fan\n    map:\n      items: \${{ range(${width}) }}\n      steps:\n        - { id: work, task: noop }\n`;
}

/** A run that waits for a human decision, then runs one no-op step. */
export function approvalWorkflow(name: string): string {
  return `name: ${name}\nversion: 1.0.0\nsteps:\n  - id: review\n    approval: { message: Ship it? }\n  - { id: after, task: noop, needs: [review] }\n`;
}

/** Resident set size in MiB after a full collection (needs node --expose-gc). */
export function rssAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().rss / 1024 ** 2;
}

/**
 * Resolves when every run in `runIds` has reached an outcome, watching the engine's
 * event stream (commit order) rather than polling; rejects on a failed or cancelled run.
 */
export function whenFinished(engine: Engine, runIds: Iterable<string>, timeoutMs: number): Promise<void> {
  const pending = new Set(runIds);
  return new Promise((resolve, reject) => {
    if (pending.size === 0) return resolve();
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`${pending.size} runs still unfinished after ${timeoutMs}ms`));
    }, timeoutMs);
    const unsubscribe = engine.subscribe((event) => {
      if (event.type !== 'history' || !pending.has(event.runId)) return;
      const type = event.event.type;
      if (type === 'RunFailed' || type === 'RunCancelled') {
        clearTimeout(timer);
        unsubscribe();
        reject(new Error(`run ${event.runId} ended with ${type}: ${JSON.stringify(event.event)}`));
      } else if (type === 'RunCompleted') {
        pending.delete(event.runId);
        if (pending.size === 0) {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        }
      }
    });
  });
}
