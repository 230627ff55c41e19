/**
 * Baton, per-step overhead: one workflow of N no-op `task` steps in a chain, run alone by
 * a worker in this process on the PostgreSQL store (store and worker defaults). Each step
 * body notes when it starts; the time from one step's start to the next one's covers the
 * step, the commit that durably records its result (and leases the next step), and the
 * hand-over to the next step.
 */
import { Client } from 'pg';
import { createEngine } from '../../src/runtime/engine.ts';
import { chainWorkflow, whenFinished } from '../setup.ts';
import { summarize } from '../stats.ts';
import { gaps, type PgPlan, type SideResult } from './plan.ts';
import { databaseUrl } from './postgres.ts';
import { countQueries } from './query-count.ts';

export async function batonChain(database: string, plan: PgPlan, schema: string): Promise<SideResult> {
  const engine = await createEngine({ store: databaseUrl(database, { schema }) });
  try {
    let starts: number[] = [];
    engine.registerTask('noop', async () => {
      starts.push(performance.now());
      return null;
    });
    await engine.register(chainWorkflow('warmup', plan.chainWarmupSteps));
    await engine.register(chainWorkflow('chain', plan.chainSteps));
    engine.startWorker();
    await runAndWait(engine, 'warmup', 'warmup-run');
    starts = [];
    const queries = countQueries(Client);
    const cpu = process.cpuUsage();
    const began = performance.now();
    await runAndWait(engine, 'chain', 'chain-run');
    const seconds = (performance.now() - began) / 1000;
    const queriesPerStep = queries() / plan.chainSteps;
    const { user, system } = process.cpuUsage(cpu);
    if (starts.length !== plan.chainSteps)
      throw new Error(`${starts.length} of ${plan.chainSteps} steps ran`);
    return {
      side: 'baton',
      workload: 'chain',
      chain: {
        steps: plan.chainSteps,
        seconds,
        stepsPerSecond: plan.chainSteps / seconds,
        perStep: summarize(gaps(starts)),
        queriesPerStep,
        cpuMicrosPerStep: (user + system) / plan.chainSteps,
      },
    };
  } finally {
    await engine.close();
  }
}

async function runAndWait(
  engine: Awaited<ReturnType<typeof createEngine>>,
  name: string,
  runId: string,
): Promise<void> {
  const finished = whenFinished(engine, [runId], 600_000);
  await engine.start(name, {}, { runId });
  await finished;
}
