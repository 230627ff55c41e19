/**
 * CPU instructions PostgreSQL spends on one step's result commit, counted by valgrind's
 * callgrind: the same count for the same statement whatever else the machine is doing, so
 * a change to the commit's SQL can be judged to a percent on a VM whose speed drifts by a
 * fifth within a minute (timings there need many alternating rounds and still blur 10%).
 *
 *   npm run bench:commit-instructions [-- --steps 100]
 *
 * Needs Linux, valgrind, and PostgreSQL's server programs (BATON_PG_BIN, or the newest
 * /usr/lib/postgresql/<version>/bin). The private cluster the fault tests use
 * (test/chaos/pg-cluster.ts: a temporary directory, a free port on 127.0.0.1, the `postgres`
 * user when run as root, removed at the end) runs `postgres` under callgrind here. The commit is the store's own (`commitOneStatement`), recording a chain of no-op
 * steps' results on one run, each leasing the next step; the count is the difference
 * between two connections' totals (20 commits, then 20 + N), which cancels start-up.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  commitOneStatement,
  OneStatementCommits,
  oneStatementKind,
} from '../../src/store/postgres/commit-one-statement.ts';
import { migrate } from '../../src/store/postgres/migrations.ts';
import type { CommitRequest, CommitResult } from '../../src/store/types.ts';
import { privateClusterSkipReason, startPrivateCluster } from '../../test/chaos/pg-cluster.ts';
import { completed, RunBuilder, scheduled } from '../../test/store/run-builder.ts';
import { flagValue } from './plan.ts';

const steps = Number(flagValue(process.argv.slice(2), '--steps') ?? 100);
const SCHEMA = 'instructions';

/** Total instructions of the backend \`pid\`, from the file callgrind writes when it exits. */
async function backendTotal(dir: string, pid: number): Promise<number> {
  for (let i = 0; i < 300; i++) {
    try {
      const found = readFileSync(join(dir, `cg.${pid}`), 'utf8').match(/^(?:summary|totals): (\d+)/m);
      if (found) return Number(found[1]);
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`callgrind wrote no totals for backend ${pid}`);
}

let runs = 0;

/** One connection that records `count` step results; returns its backend's instruction total. */
async function commitsOnOneConnection(url: string, dir: string, count: number): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  // As the store's connections do (config.ts).
  await client.query('SET plan_cache_mode = force_generic_plan');
  const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const statements = new OneStatementCommits(`"${SCHEMA}"`);
  const commit = async (request: CommitRequest): Promise<CommitResult & { ok: true }> => {
    const kind = oneStatementKind(request);
    if (!kind) throw new Error('not a one-statement commit');
    // The chain leases every step it schedules, so there is nothing to announce.
    const result = await commitOneStatement(client, kind, statements, SCHEMA, request, () => {
      throw new Error('a chain step was not leased on insert');
    });
    if (!result?.ok) throw new Error(`commit refused: ${JSON.stringify(result)}`);
    return result;
  };
  const claim = { owner: 'w', limit: 1, leaseMs: 60_000, kinds: ['step' as const] };
  const at = Date.now();
  const { builder, write } = RunBuilder.start(`run${++runs}`, { at }, [scheduled('s0', at - 1)]);
  let [task] = (await commit({ writes: [write], claim })).claimed ?? [];
  for (let i = 0; i < count; i++) {
    const next = await commit({
      writes: [builder.next([completed(`s${i}`, { step: i }), scheduled(`s${i + 1}`, at - 1)], at)],
      complete: { taskId: task.id, owner: task.owner, token: task.token },
      claim,
    });
    [task] = next.claimed ?? [];
    if (!task) throw new Error('the next step was not leased on insert');
  }
  await client.end();
  // Dead rows would make later connections' work differ from earlier ones'.
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query('VACUUM');
  await admin.end();
  return backendTotal(dir, pid);
}

const unavailable = privateClusterSkipReason();
if (unavailable) throw new Error(unavailable);
const cluster = await startPrivateCluster({
  wrapServer: (dir) => [
    'valgrind',
    '--tool=callgrind',
    '--vgdb=no',
    '--trace-children=yes',
    `--callgrind-out-file=${dir}/cg.%p`,
  ],
  // Under valgrind the server starts and stops in seconds, not milliseconds.
  waitSeconds: 300,
});
try {
  const url = cluster.url();
  const setup = new Client({ connectionString: url });
  await setup.connect();
  await migrate(setup, SCHEMA);
  await setup.end();
  await commitsOnOneConnection(url, cluster.dir, 1); // plans, caches and the relcache file, once
  const few = await commitsOnOneConnection(url, cluster.dir, 20);
  const many = await commitsOnOneConnection(url, cluster.dir, 20 + steps);
  const perStep = Math.round((many - few) / steps);
  console.log(
    `PostgreSQL instructions per step result commit (callgrind, ${steps} steps): ${perStep.toLocaleString('en-US')}`,
  );
} finally {
  await cluster.stop();
}
