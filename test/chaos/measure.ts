// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * Measurements behind docs/scaling.md, on a private PostgreSQL cluster (or --url).
 *
 *   npx node test/chaos/measure.ts latency    [--samples 200]
 *       queued start → first step of an idle worker: woken by LISTEN/NOTIFY, vs polling
 *       every 250 ms and every 1 s (notifications off)
 *   npx node test/chaos/measure.ts throughput [--workers 1,2,4] [--runs 1000] [--steps 5] [--limit]
 *       steps/s of N worker processes draining a backlog of sequential runs; --limit adds a
 *       (never reached) queue limit so every claim takes the locked, counting path
 *   npx node test/chaos/measure.ts fanout [--workers 1,4] [--width 1000] [--io-ms 10] [--concurrency 8]
 *       one run's map of --width items (each awaits --io-ms) on N workers in this process:
 *       seconds from its creation to its outcome, the commits made, the events claims carried
 *
 * Prints one JSON line per measurement.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import pino from 'pino';
import { cpuSecondsOf } from '../../bench/pg/processes.ts';
import { createEngine } from '../../src/runtime/engine.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { readSideEffects } from '../crash/side-effect-log.ts';
import { killHard } from '../helpers/child.ts';
import { delay, readyOrFail, startChaosChild } from './chaos-processes.ts';
import { STALL_WORKFLOW_YAML } from './chaos-workflows.ts';
import { type PrivateCluster, startPrivateCluster } from './pg-cluster.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    samples: { type: 'string', default: '200' },
    workers: { type: 'string', default: '1,2,4' },
    runs: { type: 'string', default: '1000' },
    steps: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    limit: { type: 'boolean', default: false },
    width: { type: 'string', default: '1000' },
    'io-ms': { type: 'string', default: '10' },
  },
});

const quiet = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'baton-measure-'));
let cluster: PrivateCluster | undefined;
let schemaCount = 0;

function urlFor(label: string): string {
  const schema = `measure_${label}_${process.pid}_${++schemaCount}`;
  if (args.url) {
    const url = new URL(args.url);
    url.searchParams.set('schema', schema);
    return url.toString();
  }
  return (cluster as PrivateCluster).url({ schema, poolSize: process.env.MEASURE_POOL ?? '8' });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(): Promise<void> {
  const samples = Number(args.samples);
  const modes: { name: string; notify: boolean; pollMs?: number }[] = [
    { name: 'LISTEN/NOTIFY (poll 5 s as a safety net)', notify: true },
    { name: 'polling every 250 ms', notify: false, pollMs: 250 },
    { name: 'polling every 1 s', notify: false, pollMs: 1_000 },
  ];
  for (const mode of modes) {
    const url = urlFor('latency');
    const effects = join(dir, `latency-${schemaCount}.jsonl`);
    const worker = startChaosChild({
      url,
      effects,
      slowMs: 0,
      concurrency: 4,
      noNotify: !mode.notify,
      pollMs: mode.pollMs,
    });
    await readyOrFail(worker);
    const api = await createEngine({ store: url, logger: quiet });
    await api.register(STALL_WORKFLOW_YAML);
    await delay(500);
    const startedAt = new Map<string, number>();
    for (let i = 0; i < samples; i++) {
      // A pause between starts, so the worker is idle (asleep) each time a run arrives.
      await delay(20 + Math.random() * 60);
      const before = Date.now();
      const handle = await api.start('stall');
      startedAt.set(handle.id, before);
    }
    const store = api.store;
    while ((await store.listRuns({ status: ['running', 'pending'], limit: 1 })).length > 0) await delay(50);
    await killHard(worker);
    await api.close();
    const latencies = readSideEffects(effects)
      .records.filter((r) => r.phase === 'start')
      .map((r) => r.time - (startedAt.get(r.runId) ?? r.time))
      .sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        measure: 'queued start → first step',
        mode: mode.name,
        samples: latencies.length,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies.at(-1),
      }),
    );
  }
}

function chainYaml(steps: number): string {
  const lines = ['name: chain', 'version: "1"', 'inputs: { n: integer }', 'steps:'];
  for (let i = 1; i <= steps; i++) {
    const input = i === 1 ? '${{ inputs.n }}' : `\${{ steps.s${i - 1}.output }}`;
    lines.push(`  - { id: s${i}, task: tick, input: "${input}" }`);
  }
  lines.push(`output: \${{ steps.s${steps}.output }}`);
  return `${lines.join('\n')}\n`;
}

/** CPU seconds used so far by the cluster's server processes (all `postgres` processes of its port). */
function serverCpuSeconds(): number | undefined {
  if (!cluster) return undefined;
  try {
    const pids = execFileSync('pgrep', ['-f', `postgres.*-p ${cluster.port}|postgres: `], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    const ticks = pids.reduce((sum, pid) => {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return sum + Number(fields[11]) + Number(fields[12]);
      } catch {
        return sum;
      }
    }, 0);
    return ticks / 100;
  } catch {
    return undefined;
  }
}

async function commits(url: string): Promise<number> {
  const client = new Client({ connectionString: url.replace(/\?.*$/, '') });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

async function throughput(): Promise<void> {
  const runs = Number(args.runs);
  const steps = Number(args.steps);
  for (const workers of args.workers.split(',').map(Number)) {
    const url = urlFor(`tp${workers}`);
    const api = await createEngine({ store: url, logger: quiet });
    await api.register(chainYaml(steps));
    if (args.limit) await api.setQueueLimit('default', 100_000);
    for (let i = 0; i < runs; i++) await api.start('chain', { n: i });
    const store = new PostgresStore({ url });
    const children = Array.from({ length: workers }, (_, i) =>
      startChaosChild({
        url,
        effects: join(dir, `tp-${schemaCount}-${i}.jsonl`),
        concurrency: Number(args.concurrency),
        leaseMs: 30_000,
      }),
    );
    await Promise.all(children.map((c) => readyOrFail(c)));
    const commitsBefore = await commits(url);
    const cpuBefore = serverCpuSeconds();
    const workerPids = children.map((c) => c.process.pid);
    const workerCpuBefore = cpuSecondsOf(workerPids);
    const began = Date.now();
    while ((await store.listRuns({ status: ['running', 'pending'], limit: 1 })).length > 0) await delay(20);
    const seconds = (Date.now() - began) / 1000;
    const cpuAfter = serverCpuSeconds();
    const workerCpu = cpuSecondsOf(workerPids) - workerCpuBefore;
    const commitsAfter = await commits(url);
    for (const child of children) await killHard(child);
    await store.close();
    await api.close();
    console.log(
      JSON.stringify({
        measure: 'throughput',
        workers,
        concurrencyPerWorker: Number(args.concurrency),
        lockedLimitPath: args.limit,
        runs,
        steps: runs * steps,
        seconds: Number(seconds.toFixed(2)),
        stepsPerSecond: Math.round((runs * steps) / seconds),
        transactionsPerSecond: Math.round((commitsAfter - commitsBefore) / seconds),
        databaseCpuShare:
          cpuBefore === undefined || cpuAfter === undefined
            ? undefined
            : Number(((cpuAfter - cpuBefore) / seconds / cpus().length).toFixed(2)),
        workersCpuShare: Number((workerCpu / seconds / cpus().length).toFixed(2)),
        cores: cpus().length,
      }),
    );
  }
}

async function fanout(): Promise<void> {
  const width = Number(args.width);
  const ioMs = Number(args['io-ms']);
  const yaml = `name: fan\nversion: 1.0.0\nsteps:\n  - id: fan\n    map:\n      items: \${{ range(${width}) }}\n      steps:\n        - { id: work, task: item, input: { n: "\${{ item }}" } }\noutput: \${{ length(steps.fan.output) }}\n`;
  for (const workers of args.workers.split(',').map(Number)) {
    const url = urlFor(`fanout${workers}`);
    const counts = { commits: 0, shipped: 0 };
    const engines = [];
    for (let i = 0; i <= workers; i++) {
      const store = new PostgresStore({ url });
      await store.init();
      const commit = store.commit.bind(store);
      store.commit = (request) => {
        counts.commits++;
        return commit(request);
      };
      const claimTasks = store.claimTasks.bind(store);
      store.claimTasks = async (options) => {
        const tasks = await claimTasks(options);
        for (const task of tasks) counts.shipped += task.history?.length ?? 0;
        return tasks;
      };
      const engine = await createEngine({ store, logger: quiet });
      engine.registerTask('item', async (input: { n: number }) => {
        if (ioMs > 0) await delay(ioMs);
        return input.n;
      });
      engines.push(engine);
    }
    const [api, ...workerEngines] = engines;
    await api.register(yaml);
    const started = performance.now();
    const handle = await api.start('fan', {});
    for (const engine of workerEngines) engine.startWorker({ concurrency: Number(args.concurrency) });
    const output = await handle.result({ timeoutMs: 600_000 });
    const seconds = (performance.now() - started) / 1000;
    const run = await api.getRun(handle.id);
    for (const engine of engines) await engine.close();
    if (output !== width) throw new Error(`the map returned ${output}, expected ${width}`);
    console.log(
      JSON.stringify({
        measure: 'fanout',
        workers,
        width,
        ioMs,
        concurrencyPerWorker: Number(args.concurrency),
        // Created to finished, as recorded; `seconds` also counts hearing of it in the API process.
        runSeconds: Number((((run.finishedAt ?? 0) - run.createdAt) / 1000).toFixed(2)),
        seconds: Number(seconds.toFixed(2)),
        commits: counts.commits,
        eventsShippedWithClaims: counts.shipped,
      }),
    );
  }
}

try {
  if (!args.url) cluster = await startPrivateCluster();
  if (positionals[0] === 'latency') await latency();
  else if (positionals[0] === 'throughput') await throughput();
  else if (positionals[0] === 'fanout') await fanout();
  else throw new Error('usage: measure.ts latency|throughput|fanout [options]');
} finally {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
