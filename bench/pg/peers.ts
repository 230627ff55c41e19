/**
 * The engines the PostgreSQL comparison measures Baton against live in bench/peers, a
 * separate package with its own lock file, so they are never dependencies of Baton.
 * `ensurePeers` installs them on first use (a fresh clone) with npm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'peers');
const DBOS_PACKAGE = join(PEERS_DIR, 'node_modules', '@dbos-inc', 'dbos-sdk', 'package.json');

/** Installs bench/peers when DBOS is missing; returns an error message when that fails. */
export function ensurePeers(): string | undefined {
  if (existsSync(DBOS_PACKAGE)) return undefined;
  const args = ['install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'];
  console.log(
    `bench/peers is not installed: running npm ${args.join(' ').replace(PEERS_DIR, 'bench/peers')}`,
  );
  const result = spawnSync('npm', args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0 || !existsSync(DBOS_PACKAGE)) {
    return `npm install --prefix bench/peers failed (${result.error?.message ?? `exit ${result.status}`})`;
  }
  return undefined;
}

export function dbosVersion(): string {
  return (JSON.parse(readFileSync(DBOS_PACKAGE, 'utf8')) as { version: string }).version;
}
