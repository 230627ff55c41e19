/**
 * The measured window of a throughput run, the same for both sides: after a warm-up,
 * steps durably recorded (counted in the side's own tables), transactions committed in
 * its database, and the CPU its worker processes and its PostgreSQL backends used.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type PgPlan, type ThroughputFigures, wallNow } from './plan.ts';
import type { Counter } from './postgres.ts';
import { cpuSecondsBetween, cpuSecondsByPid, cpuSecondsOf } from './processes.ts';

export interface Window {
  plan: PgPlan;
  workers: number;
  pids: readonly (number | undefined)[];
  /** A connection to the side's database (not one of the workers'). */
  counter: Counter;
  /** Counts the steps durably recorded so far. */
  stepsSql: string;
  /** Counts the runs not finished yet. */
  backlogSql: string;
}

const TRANSACTIONS = 'SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()';
const BACKENDS =
  'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()';

export async function measureWindow(w: Window): Promise<ThroughputFigures> {
  const { warmupMs, windowMs, concurrency } = w.plan.throughput;
  await sleep(warmupMs);
  const before = {
    steps: await w.counter.count(w.stepsSql),
    transactions: await w.counter.count(TRANSACTIONS),
    at: wallNow(),
    workers: cpuSecondsOf(w.pids),
    backends: cpuSecondsByPid(await w.counter.column(BACKENDS)),
  };
  await sleep(windowMs);
  const steps = (await w.counter.count(w.stepsSql)) - before.steps;
  const seconds = (wallNow() - before.at) / 1000;
  const workers = cpuSecondsOf(w.pids) - before.workers;
  const backends = cpuSecondsBetween(before.backends, cpuSecondsByPid(await w.counter.column(BACKENDS)));
  return {
    workers: w.workers,
    concurrency,
    steps,
    seconds,
    stepsPerSecond: steps / seconds,
    backlogLeft: await w.counter.count(w.backlogSql),
    workersCores: workers / seconds,
    databaseCores: backends / seconds,
    // pg_stat_database lags by up to a second; over a 10 s window that is noise.
    transactionsPerStep: ((await w.counter.count(TRANSACTIONS)) - before.transactions) / Math.max(1, steps),
  };
}
