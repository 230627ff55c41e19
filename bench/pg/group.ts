/**
 * The PostgreSQL group of `npm run bench` (`--only pg`): Baton and DBOS Transact measured
 * side by side on the same server in the same run. Skipped with a message when PostgreSQL
 * is not reachable; installs bench/peers on first use. Creates `baton_bench_<pid>` and
 * `dbos_bench_<pid>`, runs every workload of each side in its own process (alternating
 * sides; the chain in several rounds), drops both databases, and prints the comparison.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from '../machine.ts';
import { dbosVersion, ensurePeers, PEERS_DIR } from './peers.ts';
import {
  type Comparison,
  comparisonMarkdown,
  comparisonNotes,
  comparisonText,
  medianRound,
} from './pg-report.ts';
import {
  type ChainFigures,
  flagValue,
  PG_WORKLOADS,
  type PgWorkload,
  PLAN_FLAGS,
  planFromArgs,
  type Side,
  type SideResult,
} from './plan.ts';
import {
  ADMIN_URL,
  createDatabase,
  dropDatabase,
  serverVersion,
  shownUrl,
  unreachableReason,
} from './postgres.ts';

const SCRIPTS: Record<Side, string> = {
  baton: fileURLToPath(new URL('./baton-side.ts', import.meta.url)),
  dbos: join(PEERS_DIR, 'dbos-side.ts'),
};

export type PgOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string }
  | { status: 'ok'; markdown: (command: string, date: Date) => string };

/** `args`: the bench's command line (`--quick` and the PLAN_FLAGS are passed on). */
export async function runPgGroup(args: readonly string[]): Promise<PgOutcome> {
  const unreachable = await unreachableReason();
  if (unreachable) {
    console.log(
      `\nPostgreSQL comparison skipped: ${unreachable}. Set BATON_BENCH_POSTGRES_URL or start the server.`,
    );
    return { status: 'skipped', reason: unreachable };
  }
  const installFailure = ensurePeers();
  if (installFailure) {
    console.error(`\nPostgreSQL comparison failed: ${installFailure}`);
    return { status: 'failed', reason: installFailure };
  }
  const plan = planFromArgs(args);
  const passOn = args.includes('--quick') ? ['--quick'] : [];
  for (const flag of PLAN_FLAGS) {
    const value = flagValue(args, flag);
    if (value !== undefined) passOn.push(flag, value);
  }
  const title = `PostgreSQL ${await serverVersion()} at ${shownUrl(ADMIN_URL).replace(/\/[^/]*$/, '')}, Baton vs DBOS Transact ${dbosVersion()}`;
  console.log(`\n${title}${args.includes('--quick') ? ' (quick)' : ''}`);
  const databases: Record<Side, string> = {
    baton: `baton_bench_${process.pid}`,
    dbos: `dbos_bench_${process.pid}`,
  };
  const comparison: Comparison = { baton: {}, dbos: {} };
  const loadBefore = loadavg()[0];
  const m = describeMachine();
  const machine = `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.platform}, Node ${m.node}`;
  const failures: string[] = [];
  try {
    for (const name of Object.values(databases)) await createDatabase(name);
    const chainRounds: Record<Side, ChainFigures[]> = { baton: [], dbos: [] };
    for (const workload of PG_WORKLOADS) {
      const rounds = workload === 'chain' ? plan.chainRounds : 1;
      for (let round = 0; round < rounds; round++) {
        for (const side of ['baton', 'dbos'] as const) {
          const label = rounds > 1 ? `${workload} (round ${round + 1} of ${rounds})` : workload;
          process.stdout.write(`running pg ${label} on ${side}… `);
          const started = Date.now();
          try {
            const result = await runSide(side, workload, databases[side], [
              ...passOn,
              '--round',
              String(round),
            ]);
            if (result.chain) chainRounds[side].push(result.chain);
            else Object.assign(comparison[side], { [workload]: result[workload] });
            console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
          } catch (error) {
            console.log('FAILED');
            console.error(`  ${(error as Error).message}`);
            failures.push(`${label} on ${side}`);
          }
        }
      }
    }
    for (const side of ['baton', 'dbos'] as const) {
      comparison[side].chain = medianRound(chainRounds[side]);
      comparison[side].chainRoundsP50 = chainRounds[side].map((round) => round.perStep.p50);
    }
  } finally {
    for (const name of Object.values(databases)) await dropDatabase(name).catch(() => undefined);
  }
  const conditions = `1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`;
  console.log(`\n${comparisonText(comparison, plan)}\n\n${conditions}`);
  for (const note of comparisonNotes(comparison, plan)) console.log(`- ${note}`);
  if (failures.length > 0) {
    return { status: 'failed', reason: `failed: ${failures.join(', ')}` };
  }
  return {
    status: 'ok',
    markdown: (command, date) =>
      comparisonMarkdown(
        comparison,
        plan,
        `Measured ${date.toISOString().slice(0, 10)} with \`${command}\`: ${title}; server, workers and benchmark on one machine (${machine}); ${conditions}.`,
      ),
  };
}

function runSide(side: Side, workload: PgWorkload, database: string, passOn: string[]): Promise<SideResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPTS[side], workload, '--database', database, ...passOn], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`${side} ${workload} exited with ${signal ?? code}: ${stderr.trim().slice(-1500)}`));
        return;
      }
      resolve(JSON.parse(line.slice('RESULT '.length)) as SideResult);
    });
  });
}
