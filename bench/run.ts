/**
 * `npm run bench [-- --quick] [-- --only a,b] [-- --write]`
 *
 * Runs every workload in its own child process (cold start, isolated memory), prints a
 * table, and with --write replaces the results block of docs/benchmarks.md. Exits
 * non-zero when any workload fails.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.ts';
import { machineLine, markdownBlock, textTable } from './report.ts';
import type { WorkloadResult } from './result.ts';
import { plan } from './workloads.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = args.includes('--write');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',')) : undefined;
const workloads = plan(quick)
  .map((w) => w.name)
  .filter((name) => !only || only.has(name));
if (only && workloads.length !== only.size) {
  console.error(
    `unknown workload in --only; known: ${plan(quick)
      .map((w) => w.name)
      .join(', ')}`,
  );
  process.exit(2);
}

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
console.log(
  `\n${textTable(results)}\n\n${conditions}; CPU/unit is process CPU time (all threads) per step or run`,
);
for (const result of results) for (const note of result.notes) console.log(`${result.workload}: ${note}`);

if (write && failed === 0 && !only) {
  const command = `npm run bench${quick ? ' -- --quick' : ''}`;
  const docs = join(here, '..', 'docs', 'benchmarks.md');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const text = readFileSync(docs, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    console.error(`docs/benchmarks.md has no ${start} … ${end} block to replace`);
    process.exit(1);
  }
  const block = markdownBlock(results, machine, command, new Date(), conditions);
  writeFileSync(docs, `${text.slice(0, from + start.length)}\n${block}\n${text.slice(to)}`);
  console.log('\nwrote docs/benchmarks.md');
}
if (failed > 0) {
  console.error(`\n${failed} workload${failed === 1 ? '' : 's'} failed`);
  process.exit(1);
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
