/**
 * DBOS, work arriving from another process: a `DBOSClient` in this process (it never
 * dequeues) enqueues workflows on the `bench` queue, DBOS worker processes
 * (dbos-worker.ts) dequeue and run them — the same shapes as bench/pg/baton-queued.ts.
 */
import { fileURLToPath } from 'node:url';
import { DBOS, DBOSClient } from '@dbos-inc/dbos-sdk';
import type { PgPlan, SideResult, ThroughputFigures } from '../pg/plan.ts';
import { databaseUrl, openCounter } from '../pg/postgres.ts';
import { type Child, killHard, readyOrFail, spawnWorker } from '../pg/processes.ts';
import { enqueueAll, FirstSteps, openLoopStarts } from '../pg/queued-shared.ts';
import { measureWindow } from '../pg/window.ts';
import { summarize } from '../stats.ts';
import { APP_NAME, QUEUE } from './dbos-app.ts';

const WORKER = fileURLToPath(new URL('./dbos-worker.ts', import.meta.url));

/** A migrated system database in `schema`, the queue registered, and a client to enqueue with. */
async function openClient(
  url: string,
  schema: string,
  workerConcurrency: number,
  plan: PgPlan,
): Promise<DBOSClient> {
  await DBOS.migrate(url, { schemaName: schema });
  const client = await DBOSClient.create({
    systemDatabaseUrl: url,
    systemDatabaseSchemaName: schema,
    applicationName: APP_NAME,
  });
  await client.registerQueue(QUEUE, { workerConcurrency, ...queuePolling(plan) });
  return client;
}

function queuePolling(plan: PgPlan): { minPollingIntervalMs?: number } {
  return plan.dbosPollMs === undefined ? {} : { minPollingIntervalMs: plan.dbosPollMs };
}

function workerArgs(url: string, schema: string, id: number, concurrency: number, plan: PgPlan): string[] {
  const args = ['--url', url, '--schema', schema, '--id', String(id), '--concurrency', String(concurrency)];
  args.push('--io-ms', String(plan.throughput.ioMs));
  if (plan.dbosPollMs !== undefined) args.push('--poll-ms', String(plan.dbosPollMs));
  return args;
}

export async function dbosLatency(database: string, plan: PgPlan): Promise<SideResult> {
  const url = databaseUrl(database);
  const schema = 'latency';
  const client = await openClient(url, schema, plan.latencyConcurrency, plan);
  const firstSteps = new FirstSteps();
  const worker = spawnWorker(
    WORKER,
    workerArgs(url, schema, 0, plan.latencyConcurrency, plan),
    firstSteps.line,
  );
  try {
    await readyOrFail(worker);
    const latencies = await openLoopStarts(
      plan.latencySamples,
      async (workflowID) => {
        await client.enqueue({ queueName: QUEUE, workflowName: 'first', workflowID });
      },
      firstSteps,
    );
    return {
      side: 'dbos',
      workload: 'latency',
      latency: { latency: summarize(latencies) },
    };
  } finally {
    await killHard(worker);
    await client.destroy();
  }
}

export async function dbosThroughput(database: string, plan: PgPlan): Promise<SideResult> {
  const figures: ThroughputFigures[] = [];
  for (const workers of plan.throughput.workers) figures.push(await drain(database, plan, workers));
  return {
    side: 'dbos',
    workload: 'throughput',
    throughput: figures,
  };
}

async function drain(database: string, plan: PgPlan, workers: number): Promise<ThroughputFigures> {
  const { concurrency, stepsPerRun, backlogRuns } = plan.throughput;
  const url = databaseUrl(database);
  const schema = `throughput_${workers}`;
  const client = await openClient(url, schema, concurrency, plan);
  const counter = await openCounter(url);
  const children: Child[] = [];
  try {
    await enqueueAll(backlogRuns, async (i) => {
      await client.enqueue({ queueName: QUEUE, workflowName: 'io_chain', workflowID: `r${i}` }, stepsPerRun);
    });
    for (let i = 0; i < workers; i++)
      children.push(spawnWorker(WORKER, workerArgs(url, schema, i, concurrency, plan)));
    await Promise.all(children.map((child) => readyOrFail(child)));
    return await measureWindow({
      plan,
      workers,
      pids: children.map((child) => child.process.pid),
      counter,
      stepsSql: `SELECT count(*) FROM "${schema}".operation_outputs`,
      backlogSql: `SELECT count(*) FROM "${schema}".workflow_status WHERE status IN ('ENQUEUED', 'PENDING')`,
    });
  } finally {
    for (const child of children) await killHard(child);
    await counter.close();
    await client.destroy();
  }
}
