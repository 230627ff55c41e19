/**
 * The PostgreSQL comparison's plan, shared by both sides so they run the same shapes, and
 * the figures each side's measurement process reports back (one `RESULT {json}` line).
 */
import type { Summary } from '../stats.ts';

export type Side = 'baton' | 'dbos';
export type PgWorkload = 'chain' | 'latency' | 'throughput';
export const PG_WORKLOADS: readonly PgWorkload[] = ['chain', 'latency', 'throughput'];

export interface PgPlan {
  /** Steps of the one sequential workflow measured alone. */
  chainSteps: number;
  /**
   * Times the chain is measured per side, alternating sides, each in a fresh process and
   * schema; the table shows each side's median round. The machine's speed drifts by a fifth
   * within a minute, more than one chain of about a second averages out.
   */
  chainRounds: number;
  /**
   * Steps of an unmeasured chain run first, on both sides, so that both are measured warm
   * (compiled by the JIT, statements prepared, caches filled) rather than on their first
   * few hundred steps.
   */
  chainWarmupSteps: number;
  /** Queued starts measured (after a few unmeasured ones). */
  latencySamples: number;
  /** Steps one worker runs at once in the latency workload. */
  latencyConcurrency: number;
  throughput: {
    workers: number[];
    /** Steps (Baton) or workflows of sequential steps (DBOS) one worker process runs at once. */
    concurrency: number;
    stepsPerRun: number;
    /** Each step awaits a timer this long, standing in for I/O. */
    ioMs: number;
    /** Runs in the backlog at most; enough that the measured window ends before it drains. */
    backlogRuns: number;
    /** Unmeasured time after every worker is ready, then the measured window. */
    warmupMs: number;
    windowMs: number;
  };
  /**
   * DBOS queues' polling interval (`minPollingIntervalMs`) when set with --dbos-poll-ms;
   * DBOS's default (1 s) otherwise, which bounds its queue latency and throughput.
   */
  dbosPollMs?: number;
}

/** Command-line options of `npm run bench` that change the PostgreSQL plan; passed on to every measurement process. */
export const PLAN_FLAGS = ['--dbos-poll-ms', '--pg-concurrency'];

/** The plan from a command line: `--quick`, `--dbos-poll-ms <n>`, `--pg-concurrency <n>` (throughput's per-worker concurrency). */
export function planFromArgs(args: readonly string[]): PgPlan {
  const plan = pgPlan(args.includes('--quick'));
  const poll = flagValue(args, '--dbos-poll-ms');
  if (poll) plan.dbosPollMs = Number(poll);
  const concurrency = flagValue(args, '--pg-concurrency');
  if (concurrency) plan.throughput.concurrency = Number(concurrency);
  return plan;
}

export function pgPlan(quick: boolean): PgPlan {
  return {
    chainSteps: quick ? 100 : 500,
    chainRounds: quick ? 1 : 5,
    chainWarmupSteps: quick ? 100 : 500,
    latencySamples: quick ? 40 : 200,
    latencyConcurrency: 32,
    throughput: {
      workers: [1, 2, 4],
      concurrency: 8,
      stepsPerRun: 5,
      ioMs: 10,
      backlogRuns: quick ? 2_000 : 8_000,
      warmupMs: quick ? 1_000 : 2_000,
      windowMs: quick ? 3_000 : 10_000,
    },
  };
}

export interface ChainFigures {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  /** Time from one step's body starting to the next one's (the step, its durable record, the hand-over). */
  perStep: Summary;
  /** Statements (round trips) the process sent per step, BEGIN and COMMIT included. */
  queriesPerStep: number;
  /** CPU time of the process (user + system, all threads) per step, in microseconds. */
  cpuMicrosPerStep: number;
}

export interface LatencyFigures {
  /** From the start (enqueue) call to the first step's body starting in the worker process. */
  latency: Summary;
}

export interface ThroughputFigures {
  workers: number;
  concurrency: number;
  /** Steps durably recorded during the measured window. */
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  /** Runs not finished when the window closed; 0 means the backlog drained early (figure too low). */
  backlogLeft: number;
  /** CPU time of the worker processes during the window per second: cores busy running them. */
  workersCores: number;
  /** The same for the PostgreSQL backends serving the side's database (the server's background processes excluded). */
  databaseCores: number;
  /** Transactions committed in the side's database per step (pg_stat_database, which lags up to 1 s). */
  transactionsPerStep: number;
}

export interface SideResult {
  side: Side;
  workload: PgWorkload;
  chain?: ChainFigures;
  latency?: LatencyFigures;
  throughput?: ThroughputFigures[];
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The `--flag value` pairs of a measurement process's command line. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

/** The schema a side's chain round writes to (`--round <n>` on its command line). */
export function chainSchema(args: readonly string[]): string {
  return `chain_${Number(flagValue(args, '--round') ?? 0)}`;
}

/** Prints the result line the group runner reads. */
export function report(result: SideResult): void {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** Consecutive differences of ascending timestamps. */
export function gaps(times: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) out.push(times[i] - times[i - 1]);
  return out;
}
