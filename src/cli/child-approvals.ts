/**
 * Approvals requested inside child runs (at any depth) of the run `baton run` follows.
 * They live in the children's histories, so the parent's events never mention them; this
 * polls the pending-approval list and keeps those whose ancestry leads to the root run.
 */
import type { Engine } from '../runtime/engine.ts';

export function watchChildApprovals(
  engine: Engine,
  rootRunId: string,
  onPending: (runId: string, path: string) => void,
  intervalMs = 1000,
): () => void {
  const parents = new Map<string, string | undefined>();
  const reported = new Set<string>();
  let busy = false;

  async function descends(runId: string, parentRunId: string | undefined): Promise<boolean> {
    parents.set(runId, parentRunId);
    let current = parentRunId;
    for (let depth = 0; current !== undefined && depth < 20; depth++) {
      if (current === rootRunId) return true;
      if (!parents.has(current)) parents.set(current, (await engine.store.getRun(current))?.parentRunId);
      current = parents.get(current);
    }
    return false;
  }

  async function check(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      for (const { run, step } of await engine.pendingApprovals({ limit: 500 })) {
        const key = `${run.id} ${step.path}`;
        if (run.id === rootRunId || reported.has(key) || run.parentRunId === undefined) continue;
        if (!(await descends(run.id, run.parentRunId))) continue;
        reported.add(key);
        onPending(run.id, step.path);
      }
    } catch {
      // A failed poll is retried at the next tick; the run itself is unaffected.
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
