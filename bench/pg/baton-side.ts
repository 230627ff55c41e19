/**
 * Runs one workload of the PostgreSQL comparison on Baton's side and prints its
 * `RESULT {json}` line; bench/pg/group.ts spawns it once per workload.
 *
 *   node bench/pg/baton-side.ts chain|latency|throughput --database <name> [--round <n>] [--quick]
 */
import { batonChain } from './baton-chain.ts';
import { batonLatency, batonThroughput } from './baton-queued.ts';
import { chainSchema, flagValue, planFromArgs, report } from './plan.ts';

const args = process.argv.slice(2);
const database = flagValue(args, '--database');
if (!database) throw new Error('baton-side needs --database');
const plan = planFromArgs(args);
const workloads = {
  chain: (db: string, p: typeof plan) => batonChain(db, p, chainSchema(args)),
  latency: batonLatency,
  throughput: batonThroughput,
};
const workload = workloads[args[0] as keyof typeof workloads];
if (!workload) throw new Error(`unknown workload ${args[0]}; known: ${Object.keys(workloads).join(', ')}`);
report(await workload(database, plan));
