/**
 * A DBOS worker process for the PostgreSQL comparison: launches DBOS on the system
 * database, registers the benchmark's workflows and dequeues from the `bench` queue with
 * the given worker concurrency. Prints `ready`, then `T <workflowId> <ms>` whenever a
 * `first` workflow's step starts, and works until killed.
 *
 *   node bench/peers/dbos-worker.ts --url <postgres://…> --schema <name> --id <n>
 *        --concurrency 8 --io-ms 10 [--poll-ms <queue polling interval>]
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { flagValue } from '../pg/plan.ts';
import { configureDbos, QUEUE, registerBenchWorkflows } from './dbos-app.ts';

const args = process.argv.slice(2);
const url = flagValue(args, '--url');
const schema = flagValue(args, '--schema');
if (!url || !schema) throw new Error('dbos-worker needs --url and --schema');

configureDbos({ url, schema, executorID: `bench-worker-${flagValue(args, '--id') ?? process.pid}` });
registerBenchWorkflows({ ioMs: Number(flagValue(args, '--io-ms') ?? 10) });
await DBOS.launch();
// The runner registered the queue already (same settings); a worker registers what it consumes.
const pollMs = flagValue(args, '--poll-ms');
await DBOS.registerQueue(QUEUE, {
  workerConcurrency: Number(flagValue(args, '--concurrency') ?? 8),
  ...(pollMs ? { minPollingIntervalMs: Number(pollMs) } : {}),
});
process.stdout.write('ready\n');
