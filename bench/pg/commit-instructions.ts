/**
 * CPU instructions PostgreSQL spends on one step's result commit, counted by valgrind's
 * callgrind: the same count for the same statement whatever else the machine is doing, so
 * a change to the commit's SQL can be judged to a percent on a VM whose speed drifts by a
 * fifth within a minute (timings there need many alternating rounds and still blur 10%).
 *
 *   npm run bench:commit-instructions [-- --steps 100]
 *
 * Needs Linux, valgrind, and PostgreSQL's server programs (`initdb`, `postgres`; found with
 * `pg_config --bindir`, or under /usr/lib/postgresql/<version>/bin). It creates a private
 * cluster in a temporary directory, runs `postgres` under callgrind on a free port bound to
 * 127.0.0.1, and removes it all at the end. Run as root, the server runs as the `postgres`
 * user. The commit is the store's own (`commitOneStatement`), recording a chain of no-op
 * steps' results on one run, each leasing the next step; the count is the difference
 * between two connections' totals (20 commits, then 20 + N), which cancels start-up.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  commitOneStatement,
  OneStatementCommits,
  oneStatementKind,
} from '../../src/store/postgres/commit-one-statement.ts';
import { migrate } from '../../src/store/postgres/migrations.ts';
import type { CommitRequest, CommitResult } from '../../src/store/types.ts';
import { completed, RunBuilder, scheduled } from '../../test/store/run-builder.ts';
import { flagValue } from './plan.ts';

const steps = Number(flagValue(process.argv.slice(2), '--steps') ?? 100);
const SCHEMA = 'instructions';
const asRoot = process.getuid?.() === 0;

function serverBin(): string {
  try {
    return execFileSync('pg_config', ['--bindir']).toString().trim();
  } catch {
    const root = '/usr/lib/postgresql';
    const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
    if (versions.length === 0) throw new Error('PostgreSQL server programs not found (pg_config --bindir)');
    return join(root, versions[0], 'bin');
  }
}

/** Runs `command` as the server's user: `postgres` when we are root (initdb refuses root). */
function asServerUser(command: string[], options: { detached?: boolean } = {}) {
  const [file, args] = asRoot
    ? [
        'su',
        ['postgres', '-s', '/bin/sh', '-c', command.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')],
      ]
    : [command[0], command.slice(1)];
  return spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: options.detached });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function exited(child: ReturnType<typeof spawn>): Promise<void> {
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${child.spawnargs.join(' ')} exited with ${code}`);
}

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error('the PostgreSQL server under callgrind did not start within 2 minutes');
}

/** Total instructions of the backend `pid`, from the file callgrind writes when it exits. */
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
    const result = await commitOneStatement(
      client,
      kind,
      statements.statement(kind, request),
      SCHEMA,
      request,
    );
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

const dir = mkdtempSync(join(tmpdir(), 'baton-callgrind-'));
chmodSync(dir, 0o777);
const data = join(dir, 'data');
const bin = serverBin();
let server: ReturnType<typeof spawn> | undefined;
try {
  await exited(asServerUser([join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres']));
  const port = await freePort();
  server = asServerUser(
    [
      'valgrind',
      '--tool=callgrind',
      '--vgdb=no',
      '--trace-children=yes',
      `--callgrind-out-file=${dir}/cg.%p`,
      join(bin, 'postgres'),
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'autovacuum=off',
    ],
    { detached: true },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitForServer(url);
  const setup = new Client({ connectionString: url });
  await setup.connect();
  await migrate(setup, SCHEMA);
  await setup.end();
  await commitsOnOneConnection(url, dir, 1); // plans, caches and the relcache file, once
  const few = await commitsOnOneConnection(url, dir, 20);
  const many = await commitsOnOneConnection(url, dir, 20 + steps);
  const perStep = Math.round((many - few) / steps);
  console.log(
    `PostgreSQL instructions per step result commit (callgrind, ${steps} steps): ${perStep.toLocaleString('en-US')}`,
  );
} finally {
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGINT');
    } catch {
      // already gone
    }
    // Under valgrind a shutdown takes seconds; the data directory goes only after it.
    for (let i = 0; i < 300 && existsSync(join(data, 'postmaster.pid')); i++)
      await new Promise((resolve) => setTimeout(resolve, 200));
  }
  rmSync(dir, { recursive: true, force: true });
}
