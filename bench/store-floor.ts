/**
 * The store alone: the same commits a sequential chain makes (complete the step's task
 * under its lease, append StepCompleted + StepScheduled, update the run and step rows,
 * insert the next task leased to the same worker), issued for many runs at once through
 * SqliteStore.commit, without the engine, the scheduler or handlers. Its throughput is
 * the ceiling the SQLite schema and file system put on the chain workload; the
 * difference to the chain workload is what the engine costs on top.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent, RunEventBody } from '../src/core/events.ts';
import { changedStepRows, runRow } from '../src/core/projection.ts';
import { evolve, newRunState, type RunState } from '../src/core/state.ts';
import { taskChanges } from '../src/core/tasks.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { ClaimedTask, ClaimOptions, RunWrite } from '../src/store/types.ts';
import type { WorkloadResult } from './result.ts';

export interface StoreFloorOptions {
  runs: number;
  steps: number;
}

export async function storeFloorWorkload(options: StoreFloorOptions): Promise<WorkloadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const store = new SqliteStore({ path: join(dir, 'bench.db') });
  await store.init();
  try {
    const claim: ClaimOptions = { owner: 'bench', limit: 1, leaseMs: 60_000 };
    const runs = await Promise.all(
      Array.from({ length: options.runs }, (_, i) => startRun(store, `floor-${i}`, claim)),
    );
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(runs.map((run) => advance(store, run, options.steps, claim)));
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    const steps = options.runs * options.steps;
    return {
      workload: 'store only (no engine)',
      shape: `${options.runs} runs × ${options.steps} chain commits`,
      throughput: steps / seconds,
      unit: 'steps/s',
      cpuMicros: (user + system) / steps,
      seconds,
      notes: ['the SQLite commits of the parallel chain workload, issued directly to the store'],
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface FloorRun {
  state: RunState;
  task: ClaimedTask;
}

async function startRun(store: SqliteStore, id: string, claim: ClaimOptions): Promise<FloorRun> {
  const at = Date.now();
  const started = {
    type: 'RunStarted',
    seq: 1,
    at,
    workflow: { name: 'floor', version: '1', hash: 'floor' },
    input: {},
  } as const;
  const state = newRunState(id, started);
  const write = writeOf(state, 0, [started], [scheduled(0, at)], at);
  const result = await store.commit({ writes: [write], claim });
  if (!result.ok || !result.claimed?.[0]) throw new Error(`could not start ${id}: ${JSON.stringify(result)}`);
  return { state, task: result.claimed[0] };
}

async function advance(store: SqliteStore, run: FloorRun, steps: number, claim: ClaimOptions): Promise<void> {
  for (let i = 0; i < steps; i++) {
    const at = Date.now();
    const done: RunEventBody = { type: 'StepCompleted', path: `s${i}`, attempt: 1, output: null };
    const write = writeOf(run.state, run.state.seq, [], [done, scheduled(i + 1, at)], at);
    const lease = { taskId: run.task.id, owner: run.task.owner, token: run.task.token };
    const result = await store.commit({ writes: [write], complete: lease, claim });
    if (!result.ok || !result.claimed?.[0])
      throw new Error(`commit ${i} of ${run.state.id} failed: ${JSON.stringify(result)}`);
    run.task = result.claimed[0];
  }
}

function scheduled(index: number, at: number): RunEventBody {
  return { type: 'StepScheduled', path: `s${index}`, attempt: 1, input: null, runAt: at };
}

function writeOf(
  state: RunState,
  expectedSeq: number,
  first: RunEvent[],
  bodies: RunEventBody[],
  at: number,
): RunWrite {
  const events = [...first];
  for (const body of bodies) {
    const event = { ...body, seq: state.seq + 1, at } as RunEvent;
    evolve(state, event);
    events.push(event);
  }
  return {
    runId: state.id,
    expectedSeq,
    events,
    run: runRow(state),
    steps: changedStepRows(state, events),
    tasks: taskChanges(state, events),
  };
}
