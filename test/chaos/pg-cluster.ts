/**
 * A private PostgreSQL cluster for fault tests that restart the database: created with
 * initdb in a temporary directory, listening on a free loopback port with trust auth, and
 * removed afterwards. The machine's shared server is never touched. As root, the server
 * runs as the `postgres` OS user (PostgreSQL refuses to run as root).
 *
 * BATON_PG_BIN overrides the directory of initdb/pg_ctl (default: the newest
 * /usr/lib/postgresql/<version>/bin).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError } from '../../src/errors.ts';

export interface PrivateCluster {
  port: number;
  /** The temporary directory that holds the cluster (and whatever a server wrapper writes). */
  dir: string;
  /** Connection URL of the `postgres` database with extra query parameters. */
  url(params?: Record<string, string>): string;
  /** `pg_ctl restart -m immediate`: every backend dies at once, like a crash, then crash recovery. */
  restartImmediate(): Promise<number>;
  stop(): Promise<void>;
  logTail(): string;
}

function binDir(): string | undefined {
  if (process.env.BATON_PG_BIN) return process.env.BATON_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const asRoot = process.getuid?.() === 0;

/** Why a private cluster cannot be made here (undefined when it can). Under CI=true that is a failure. */
export function privateClusterSkipReason(): string | undefined {
  const bin = binDir();
  let reason: string | undefined;
  if (!bin || !existsSync(join(bin, 'initdb')) || !existsSync(join(bin, 'pg_ctl')))
    reason = 'PostgreSQL server binaries (initdb, pg_ctl) not found; set BATON_PG_BIN';
  else if (asRoot && spawnSync('id', ['-u', 'postgres']).status !== 0)
    reason = 'running as root but there is no "postgres" OS user to run a private cluster';
  if (reason && process.env.CI === 'true')
    throw new Error(`${reason}. CI=true, so this is a failure, not a skip.`);
  return reason;
}

function run(command: string, args: string[]): string {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  try {
    return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new BatonError('PRIVATE_CLUSTER_FAILED', `${command} ${args.join(' ')} failed: ${stderr}`, {
      cause: error,
    });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

export interface PrivateClusterOptions {
  maxConnections?: number;
  /**
   * A command the server runs under, given the cluster's directory: `['valgrind', …]` runs
   * `postgres` as `valgrind … postgres <its arguments>` (bench/pg/commit-instructions.ts).
   */
  wrapServer?: (dir: string) => string[];
  /** How long pg_ctl waits for the server to start or stop (default 60 s). */
  waitSeconds?: number;
}

const quoted = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

export async function startPrivateCluster(options: PrivateClusterOptions = {}): Promise<PrivateCluster> {
  const bin = binDir();
  if (!bin) throw new BatonError('PRIVATE_CLUSTER_FAILED', 'no PostgreSQL binaries');
  const dir = mkdtempSync(join(tmpdir(), 'baton-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    `-c max_connections=${options.maxConnections ?? 200}`,
    '-c shared_buffers=64MB',
  ].join(' ');
  const server: string[] = [];
  if (options.wrapServer) {
    // pg_ctl starts whatever -p names with the server's arguments.
    const script = join(dir, 'postgres-wrapped');
    const command = [...options.wrapServer(dir), join(bin, 'postgres')].map(quoted).join(' ');
    writeFileSync(script, `#!/bin/sh\nexec ${command} "$@"\n`);
    chmodSync(script, 0o755);
    server.push('-p', script);
  }
  const pgCtl = (...args: string[]) =>
    run(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      log,
      '-w',
      '-t',
      String(options.waitSeconds ?? 60),
      ...server,
      ...args,
    ]);
  pgCtl('-o', serverOptions, 'start');
  return {
    port,
    dir,
    url: (params = {}) => {
      const url = new URL(`postgres://postgres@127.0.0.1:${port}/postgres`);
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
      return url.toString();
    },
    async restartImmediate() {
      const started = Date.now();
      pgCtl('-m', 'immediate', '-o', serverOptions, 'restart');
      return Date.now() - started;
    },
    async stop() {
      if (process.env.CHAOS_KEEP_CLUSTER === '1') {
        process.stderr.write(`CHAOS_KEEP_CLUSTER=1: leaving the cluster on port ${port} in ${dir}\n`);
        return;
      }
      try {
        pgCtl('-m', 'immediate', 'stop');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    logTail: () => {
      try {
        return readFileSync(log, 'utf8').slice(-3000);
      } catch {
        return '';
      }
    },
  };
}
