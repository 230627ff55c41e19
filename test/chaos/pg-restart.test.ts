/**
 * The database itself crashes: a private PostgreSQL cluster is restarted with
 * `pg_ctl restart -m immediate` (every backend killed at once, then crash recovery) again
 * and again while three worker processes execute runs and this process keeps starting new
 * ones. Workers and the starting process must reconnect by themselves, and afterwards every
 * run must be completed with the right output: 0 failed, 0 lost, 0 results recorded twice.
 *
 * CI: 200 runs, a restart every 3–5 s (at least 2 while runs execute). `npm run chaos`:
 * 1,000 runs, a restart every 5–10 s. CHAOS_RESTART_RUNS overrides the number of runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { RunEvent } from '../../src/core/events.ts';
import { createEngine } from '../../src/runtime/engine.ts';
import { isStoreUnavailable, delay as pause } from '../../src/runtime/store-retry.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { summarise } from '../crash/crash-summary.ts';
import { CRASH_WORKFLOW_NAME, CRASH_WORKFLOW_YAML, expectedOutput, runKey } from '../crash/crash-workflow.ts';
import { readSideEffects } from '../crash/side-effect-log.ts';
import { killHard, seededRandom } from '../helpers/child.ts';
import { checkHistory, formatViolations } from '../helpers/history-check.ts';
import { alive, FULL, knob, readyOrFail, startChaosChild } from './chaos-processes.ts';
import { type PrivateCluster, privateClusterSkipReason, startPrivateCluster } from './pg-cluster.ts';

const RUNS = knob('CHAOS_RESTART_RUNS', 200, 1_000);
const [MIN_GAP_MS, MAX_GAP_MS] = FULL ? [5_000, 10_000] : [3_000, 5_000];
const MIN_RESTARTS = FULL ? 5 : 2;
const WORKERS = 3;
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

const skip = privateClusterSkipReason();
let cluster: PrivateCluster | undefined;
before(async () => {
  if (!skip) cluster = await startPrivateCluster();
});
after(async () => {
  await cluster?.stop();
});

/** Retries `work` while the database is down, as any client of a restarting database must. */
async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let wait = 50; ; wait = Math.min(1_000, wait * 2)) {
    try {
      return await work();
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      await pause(wait);
    }
  }
}

test(`PostgreSQL restarted with -m immediate while ${RUNS} runs execute: 0 failed, 0 lost`, {
  skip,
  timeout: 1_800_000,
}, async (t) => {
  assert.ok(cluster);
  const db = cluster;
  const dir = mkdtempSync(join(tmpdir(), 'baton-chaos-restart-'));
  const url = db.url({ schema: 'restart', poolSize: '6', application_name: 'baton-chaos-restart' });
  const random = seededRandom(SEED);
  const effects = Array.from({ length: WORKERS }, (_, i) => join(dir, `effects-${i}.jsonl`));
  const began = Date.now();

  const api = await createEngine({ store: url, logger: pino({ level: 'silent' }) });
  await api.register(CRASH_WORKFLOW_YAML);
  const workers = effects.map((file) =>
    startChaosChild({ url, effects: file, leaseMs: 5_000, concurrency: 16 }),
  );
  const store = new PostgresStore({ url, onBackgroundError: () => undefined });
  try {
    await Promise.all(workers.map((w) => readyOrFail(w)));

    // Runs are started over longer than MIN_RESTARTS gaps, so every restart needed hits
    // starts as well as steps, however fast the workers finish what was started.
    let started = 0;
    const starter = (async () => {
      const spread = (MIN_RESTARTS + 1) * MAX_GAP_MS;
      for (let i = 0; i < RUNS; i++) {
        await retrying(() => api.start(CRASH_WORKFLOW_NAME, { n: i }, { idempotencyKey: runKey(i) }));
        started++;
        await pause(spread / RUNS);
      }
    })();

    const restarts: { at: number; ms: number; active: number }[] = [];
    const active = () =>
      retrying(() => store.listRuns({ status: ['pending', 'running', 'waiting'], limit: 10_000 })).then(
        (runs) => runs.length + (RUNS - started),
      );
    for (;;) {
      await pause(MIN_GAP_MS + random() * (MAX_GAP_MS - MIN_GAP_MS));
      const before = await active();
      if (before === 0) break;
      const ms = await db.restartImmediate();
      restarts.push({ at: Date.now() - began, ms, active: before });
      t.diagnostic(
        `restart ${restarts.length} at ${((Date.now() - began) / 1000).toFixed(1)}s with ${before} runs active; down ${ms}ms`,
      );
    }
    await starter;
    const deadline = Date.now() + 300_000;
    while ((await active()) > 0) {
      assert.ok(Date.now() < deadline, 'runs still active 5 minutes after the last restart');
      await pause(200);
    }
    const seconds = (Date.now() - began) / 1000;
    for (const worker of workers) assert.ok(alive(worker), `a worker died:\n${worker.stderrTail()}`);
    for (const worker of workers) await killHard(worker);

    const records = effects.flatMap((file) => readSideEffects(file).records);
    const violations = await checkHistory({ store, sideEffects: records });
    assert.deepEqual(violations, [], `history violations:\n${formatViolations(violations)}`);
    const all = await store.listRuns({ limit: RUNS + 100 });
    assert.equal(all.length, RUNS, 'one run per key: none lost, none duplicated');
    const failed = all.filter((run) => run.status !== 'completed');
    assert.deepEqual(
      failed.map((run) => `${run.idempotencyKey}: ${run.status}`),
      [],
      '0 runs failed',
    );
    const histories: RunEvent[][] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await store.findRunByIdempotencyKey(runKey(i));
      assert.deepEqual(run?.output, expectedOutput(i), `${runKey(i)} has the right output`);
      histories.push(await store.loadEvents(run?.id ?? ''));
    }
    const withWork = restarts.filter((r) => r.active > 0).length;
    assert.ok(withWork >= MIN_RESTARTS, `${withWork} restarts hit running work (need ${MIN_RESTARTS})`);
    const summary = summarise(records, histories);
    const downtime = restarts.map((r) => r.ms);
    t.diagnostic(
      `${restarts.length} immediate restarts (${withWork} with runs active; down ${Math.min(...downtime)}–${Math.max(...downtime)} ms), ` +
        `${RUNS} runs completed, 0 failed, 0 lost; ${summary.completedSteps} steps, ${summary.handlerExecutions} handler ` +
        `executions (${summary.reExecutedAttempts} attempts re-executed after a restart), 0 history violations; ` +
        `${seconds.toFixed(1)}s (seed ${SEED})`,
    );
  } catch (error) {
    t.diagnostic(`server log:\n${db.logTail()}`);
    for (const worker of workers) t.diagnostic(`worker stderr:\n${worker.stderrTail()}`);
    throw error;
  } finally {
    for (const worker of workers) if (alive(worker)) worker.process.kill('SIGKILL');
    await api.close().catch(() => undefined);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
