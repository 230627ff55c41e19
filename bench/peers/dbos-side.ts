/**
 * Runs one workload of the PostgreSQL comparison on DBOS's side and prints its
 * `RESULT {json}` line; bench/pg/group.ts spawns it once per workload (per round of the chain).
 *
 *   node bench/peers/dbos-side.ts chain|latency|throughput --database <name> [--round <n>] [--quick] [--dbos-poll-ms <n>]
 *
 * chain: one workflow of N no-op steps (`DBOS.runStep`), run alone in this process; each
 * step body notes when it starts, as on Baton's side (bench/pg/baton-chain.ts).
 */
import { createRequire } from 'node:module';
import { DBOS } from '@dbos-inc/dbos-sdk';
import {
  chainSchema,
  flagValue,
  gaps,
  type PgPlan,
  planFromArgs,
  report,
  type SideResult,
} from '../pg/plan.ts';
import { databaseUrl } from '../pg/postgres.ts';
import { countQueries } from '../pg/query-count.ts';
import { summarize } from '../stats.ts';
import { configureDbos, registerBenchWorkflows } from './dbos-app.ts';
import { dbosLatency, dbosThroughput } from './dbos-queued.ts';

/** The `pg` DBOS itself loads (its own dependency), so its queries can be counted. */
function dbosPg(): typeof import('pg') {
  const fromDbos = createRequire(createRequire(import.meta.url).resolve('@dbos-inc/dbos-sdk'));
  return fromDbos('pg') as typeof import('pg');
}

async function dbosChain(database: string, plan: PgPlan): Promise<SideResult> {
  let starts: number[] = [];
  configureDbos({ url: databaseUrl(database), schema: chainSchema(args) });
  const { chain } = registerBenchWorkflows({ onChainStep: () => starts.push(performance.now()) });
  await DBOS.launch();
  try {
    await chain(plan.chainWarmupSteps);
    starts = [];
    const queries = countQueries(dbosPg().Client);
    const cpu = process.cpuUsage();
    const began = performance.now();
    await chain(plan.chainSteps);
    const seconds = (performance.now() - began) / 1000;
    const queriesPerStep = queries() / plan.chainSteps;
    const { user, system } = process.cpuUsage(cpu);
    if (starts.length !== plan.chainSteps)
      throw new Error(`${starts.length} of ${plan.chainSteps} steps ran`);
    return {
      side: 'dbos',
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
    await DBOS.shutdown();
  }
}

const args = process.argv.slice(2);
const database = flagValue(args, '--database');
if (!database) throw new Error('dbos-side needs --database');
const plan = planFromArgs(args);
const workloads = { chain: dbosChain, latency: dbosLatency, throughput: dbosThroughput };
const workload = workloads[args[0] as keyof typeof workloads];
if (!workload) throw new Error(`unknown workload ${args[0]}; known: ${Object.keys(workloads).join(', ')}`);
report(await workload(database, plan));
