/**
 * Baton, work arriving from another process: an API engine (no worker) in this process
 * starts runs, worker processes (bench/pg/baton-worker.ts) run them.
 *
 * - latency: one idle worker; the time from `engine.start()` to the run's first step body
 *   starting in the worker (woken by LISTEN/NOTIFY).
 * - throughput: a backlog of runs of sequential 10 ms steps, drained by 1, 2, 4 workers;
 *   steps durably recorded per second during a fixed window.
 */
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine } from '../../src/runtime/engine.ts';
import { chainWorkflow } from '../setup.ts';
import { summarize } from '../stats.ts';
import type { PgPlan, SideResult, ThroughputFigures } from './plan.ts';
import { databaseUrl, openCounter } from './postgres.ts';
import { type Child, killHard, readyOrFail, spawnWorker } from './processes.ts';
import { enqueueAll, FirstSteps, openLoopStarts } from './queued-shared.ts';
import { measureWindow } from './window.ts';

const WORKER = fileURLToPath(new URL('./baton-worker.ts', import.meta.url));
const FIRST_YAML = 'name: first\nversion: 1.0.0\nsteps:\n  - { id: s0, task: first }\n';

export async function batonLatency(database: string, plan: PgPlan): Promise<SideResult> {
  const url = databaseUrl(database, { schema: 'latency' });
  const api = await createEngine({ store: url });
  const firstSteps = new FirstSteps();
  const worker = spawnWorker(
    WORKER,
    ['--url', url, '--concurrency', String(plan.latencyConcurrency)],
    firstSteps.line,
  );
  try {
    await api.register(FIRST_YAML);
    await readyOrFail(worker);
    const latencies = await openLoopStarts(
      plan.latencySamples,
      async (runId) => {
        await api.start('first', {}, { runId });
      },
      firstSteps,
    );
    return {
      side: 'baton',
      workload: 'latency',
      latency: { latency: summarize(latencies) },
    };
  } finally {
    await killHard(worker);
    await api.close();
  }
}

export async function batonThroughput(database: string, plan: PgPlan): Promise<SideResult> {
  const figures: ThroughputFigures[] = [];
  for (const workers of plan.throughput.workers) figures.push(await drain(database, plan, workers));
  return {
    side: 'baton',
    workload: 'throughput',
    throughput: figures,
  };
}

async function drain(database: string, plan: PgPlan, workers: number): Promise<ThroughputFigures> {
  const { concurrency, stepsPerRun, ioMs, backlogRuns } = plan.throughput;
  const schema = `throughput_${workers}`;
  const url = databaseUrl(database, { schema });
  const api: Engine = await createEngine({ store: url });
  const counter = await openCounter(databaseUrl(database));
  const children: Child[] = [];
  try {
    await api.register(chainWorkflow('io_chain', stepsPerRun, 'io'));
    await enqueueAll(backlogRuns, (i) => api.start('io_chain', {}, { runId: `r${i}` }).then(() => undefined));
    for (let i = 0; i < workers; i++)
      children.push(
        spawnWorker(WORKER, ['--url', url, '--concurrency', String(concurrency), '--io-ms', String(ioMs)]),
      );
    await Promise.all(children.map((child) => readyOrFail(child)));
    return await measureWindow({
      plan,
      workers,
      pids: children.map((child) => child.process.pid),
      counter,
      stepsSql: `SELECT count(*) FROM "${schema}".steps WHERE status = 'completed'`,
      backlogSql: `SELECT count(*) FROM "${schema}".runs WHERE status NOT IN ('completed', 'failed', 'cancelled')`,
    });
  } finally {
    for (const child of children) await killHard(child);
    await counter.close();
    await api.close();
  }
}
