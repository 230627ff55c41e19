/**
 * `npm run bench [-- --quick] [-- --only a,b] [-- --write] [-- --dbos-poll-ms <n>] [-- --pg-concurrency <n>]`
 *
 * Runs every SQLite workload in its own child process (cold start, isolated memory), prints
 * a table, then the PostgreSQL group (`pg`: Baton side by side with DBOS Transact, see
 * bench/pg/group.ts). With --write, replaces the results blocks of docs/benchmarks.md of
 * what ran in full. Exits non-zero when any workload fails; a PostgreSQL server that is
 * not reachable skips the `pg` group with a message.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.ts';
import { runPgGroup } from './pg/group.ts';
import { machineLine, markdownBlock, textTable } from './report.ts';
import type { WorkloadResult } from './result.ts';
import { plan } from './workloads.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = args.includes('--write');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',')) : undefined;
const known = [...plan(quick).map((w) => w.name), 'pg'];
const unknown = [...(only ?? [])].filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(`unknown workload in --only: ${unknown.join(', ')}; known: ${known.join(', ')}`);
  process.exit(2);
}
const workloads = plan(quick)
  .map((w) => w.name)
  .filter((name) => !only || only.has(name));
const runPg = !only || only.has('pg');

const machine = describeMachine();
const loadBefore = loadavg()[0];
console.log(`Baton benchmarks${quick ? ' (quick)' : ''} — ${machineLine(machine)}\n`);

const results: WorkloadResult[] = [];
let failed = 0;
for (const name of workloads) {
  process.stdout.write(`running ${name}… `);
  try {
    const result = await runChild(name);
    results.push(result);
    console.log(`${Math.round(result.throughput).toLocaleString('en-US')} ${result.unit}`);
  } catch (error) {
    failed++;
    console.log('FAILED');
    console.error(`  ${(error as Error).message}`);
  }
}

// Other processes on the machine skew every figure; the load average says how much.
const conditions = `1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`;
if (workloads.length > 0) {
  console.log(
    `\n${textTable(results)}\n\n${conditions}; CPU/unit is process CPU time (all threads) per step or run`,
  );
  for (const result of results) for (const note of result.notes) console.log(`${result.workload}: ${note}`);
}

const pg = runPg ? await runPgGroup(args) : undefined;

const shown = args.filter((arg) => arg !== '--write');
const command = `npm run bench${shown.length > 0 ? ` -- ${shown.join(' ')}` : ''}`;
if (write && failed === 0 && !only) {
  writeBlock('bench:results', markdownBlock(results, machine, command, new Date(), conditions));
}
if (write && pg?.status === 'ok') writeBlock('bench:pg', pg.markdown(command, new Date()));
if (pg?.status === 'failed') failed++;
if (failed > 0) {
  console.error(`\n${failed} workload${failed === 1 ? '' : 's'} failed`);
  process.exit(1);
}

/** Replaces what stands between `<!-- {marker}:start -->` and `<!-- {marker}:end -->` in docs/benchmarks.md. */
function writeBlock(marker: string, block: string): void {
  const docs = join(here, '..', 'docs', 'benchmarks.md');
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const text = readFileSync(docs, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    console.error(`docs/benchmarks.md has no ${start} … ${end} block to replace`);
    process.exit(1);
  }
  writeFileSync(docs, `${text.slice(0, from + start.length)}\n${block}\n${text.slice(to)}`);
  console.log(`\nwrote docs/benchmarks.md (${marker})`);
}

function runChild(name: string): Promise<WorkloadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', join(here, 'workload.ts'), name, ...(quick ? ['--quick'] : [])],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(
          new Error(
            `workload ${name} exited with ${signal ?? code}${stdout.trim() ? `: ${stdout.trim().slice(-500)}` : ''}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(line.slice('RESULT '.length)) as WorkloadResult);
    });
  });
}
