/**
 * Workers racing on one PostgreSQL, and fencing.
 *
 * 1. Several worker processes race for thousands of step tasks that are all due at once.
 *    Every lease a worker gets is logged (claims and claim-on-insert); no task may be leased
 *    twice, no step may run twice, and the history checker must find nothing wrong.
 *    CI: 4 workers, 2,000 tasks. `npm run chaos`: 8 workers, 10,000 tasks.
 * 2. A worker is stalled (SIGSTOP) in the middle of a step, past its lease; another worker
 *    takes the step over and completes it; then the stalled worker resumes (SIGCONT) and
 *    tries to commit its late result. The commit must be refused and recorded in
 *    `rejected_commits`, and the step's result recorded once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine } from '../../src/runtime/engine.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { readJsonLines, readSideEffects } from '../crash/side-effect-log.ts';
import { type Child, killHard } from '../helpers/child.ts';
import { checkHistory, formatViolations } from '../helpers/history-check.ts';
import { type ClaimRecord, delay, knob, readyOrFail, startChaosChild } from './chaos-processes.ts';
import { RACE_WORKFLOW_YAML, raceOutput, STALL_WORKFLOW_YAML } from './chaos-workflows.ts';

/** Slow steps in a limited queue; the workflow's own limit (5) is looser than the queue's (3). */
const LIMITED_WORKFLOW_YAML = `
name: limited
inputs: { n: integer }
limits: { concurrentSteps: 5 }
steps:
  - id: fan
    map:
      items: \${{ range(0, inputs.n) }}
      steps:
        - { id: s, task: slow, queue: scarce }
`;

import { type PrivateCluster, privateClusterSkipReason, startPrivateCluster } from './pg-cluster.ts';

const WORKERS = knob('CHAOS_RACE_WORKERS', 4, 8);
const TASKS = knob('CHAOS_RACE_TASKS', 2_000, 10_000);
const ITEMS_PER_RUN = 20;

const skip = privateClusterSkipReason();
let cluster: PrivateCluster | undefined;
const dir = mkdtempSync(join(tmpdir(), 'baton-chaos-race-'));
before(async () => {
  if (!skip) cluster = await startPrivateCluster();
});
after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls the store until no run is active (or fails after `timeoutMs`). */
async function untilSettled(store: PostgresStore, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await store.listRuns({ status: ['pending', 'running', 'waiting'], limit: 1 })).length > 0) {
    if (Date.now() > deadline) throw new Error(`runs still active after ${timeoutMs}ms`);
    await delay(100);
  }
}

describe('workers racing on PostgreSQL', { skip }, () => {
  test(`${WORKERS} worker processes race for ${TASKS} tasks: no task leased or run twice`, {
    timeout: 900_000,
  }, async (t) => {
    assert.ok(cluster);
    const url = cluster.url({ schema: 'race', poolSize: '6' });
    const runs = Math.ceil(TASKS / ITEMS_PER_RUN);
    // All tasks exist before any worker starts, so every worker races for the same backlog.
    const api = await createEngine({ store: url });
    await api.register(RACE_WORKFLOW_YAML);
    const runIds: string[] = [];
    for (let i = 0; i < runs; i++) runIds.push((await api.start('race', { n: ITEMS_PER_RUN })).id);
    await api.close();

    const files = Array.from({ length: WORKERS }, (_, i) => ({
      effects: join(dir, `race-effects-${i}.jsonl`),
      claims: join(dir, `race-claims-${i}.jsonl`),
    }));
    const began = Date.now();
    const workers = files.map((f, i) =>
      startChaosChild({ url, ...f, id: `racer-${i}`, leaseMs: 60_000, concurrency: 16 }),
    );
    const store = new PostgresStore({ url });
    try {
      await Promise.all(workers.map((w) => readyOrFail(w)));
      await untilSettled(store, 600_000);
      const seconds = (Date.now() - began) / 1000;
      for (const worker of workers) await killHard(worker);

      const claims = files.flatMap((f) => readJsonLines<ClaimRecord>(f.claims).records);
      const effects = files.flatMap((f) => readSideEffects(f.effects).records);
      const leasesPerTask = new Map<string, ClaimRecord[]>();
      for (const claim of claims)
        leasesPerTask.set(claim.taskId, [...(leasesPerTask.get(claim.taskId) ?? []), claim]);
      const leasedTwice = [...leasesPerTask].filter(([, leases]) => leases.length > 1);
      assert.deepEqual(leasedTwice.slice(0, 5), [], `${leasedTwice.length} tasks were leased more than once`);
      assert.equal(leasesPerTask.size, runs * ITEMS_PER_RUN, 'every task was leased exactly once');

      const startsPerAttempt = new Map<string, number>();
      for (const e of effects.filter((r) => r.phase === 'start')) {
        const key = `${e.runId}|${e.path}|${e.attempt}`;
        startsPerAttempt.set(key, (startsPerAttempt.get(key) ?? 0) + 1);
      }
      assert.equal(startsPerAttempt.size, runs * ITEMS_PER_RUN);
      assert.deepEqual(
        [...startsPerAttempt].filter(([, n]) => n > 1),
        [],
        'no step ran twice',
      );
      const violations = await checkHistory({ store, sideEffects: effects });
      assert.deepEqual(violations, [], formatViolations(violations));
      for (const runId of runIds) {
        const run = await store.getRun(runId);
        assert.equal(run?.status, 'completed');
        assert.deepEqual(run?.output, raceOutput(ITEMS_PER_RUN));
      }
      const perWorker = new Map<string, number>();
      for (const claim of claims) perWorker.set(claim.owner, (perWorker.get(claim.owner) ?? 0) + 1);
      assert.equal(perWorker.size, WORKERS, `every worker won some tasks: ${JSON.stringify([...perWorker])}`);
      const viaInsert = claims.filter((c) => c.via === 'insert').length;
      t.diagnostic(
        `${WORKERS} workers, ${runs * ITEMS_PER_RUN} tasks in ${runs} runs: 0 leased twice, 0 run twice, ` +
          `0 history violations; ${seconds.toFixed(1)}s (${Math.round((runs * ITEMS_PER_RUN) / seconds)} tasks/s); ` +
          `leases per worker ${[...perWorker.values()].join('/')}; ${viaInsert} leased on insert`,
      );
    } finally {
      for (const worker of workers) if (worker.process.exitCode === null) worker.process.kill('SIGKILL');
      await store.close();
    }
  });

  test('a stalled worker loses its lease; its late commit is rejected and recorded', {
    timeout: 120_000,
  }, async (t) => {
    assert.ok(cluster);
    const url = cluster.url({ schema: 'stall', poolSize: '4' });
    const leaseMs = 1_000;
    const files = {
      a: join(dir, 'stall-a.jsonl'),
      b: join(dir, 'stall-b.jsonl'),
    };
    const store = new PostgresStore({ url });
    let stalled: Child | undefined;
    let rescuer: Child | undefined;
    try {
      stalled = startChaosChild({ url, effects: files.a, id: 'stalled', leaseMs, slowMs: 400 });
      await readyOrFail(stalled);
      const api = await createEngine({ store: url });
      await api.register(STALL_WORKFLOW_YAML);
      const handle = await api.start('stall');
      await api.close();

      // Stall the worker as soon as its handler has started: no heartbeat, no progress.
      const started = await waitFor(
        () => readSideEffects(files.a).records.some((r) => r.phase === 'start'),
        10_000,
      );
      assert.ok(started, 'the first worker started the step');
      stalled.process.kill('SIGSTOP');
      const claimedBy = (await store.getTask(`${handle.id}|step|slow|1`))?.owner;
      assert.equal(claimedBy, 'stalled');
      await delay(leaseMs + 300);

      rescuer = startChaosChild({ url, effects: files.b, id: 'rescuer', leaseMs, slowMs: 50 });
      await readyOrFail(rescuer);
      await untilSettled(store, 30_000);
      const run = await store.getRun(handle.id);
      assert.equal(run?.status, 'completed');
      assert.deepEqual(run?.output, { by: rescuer.process.pid }, 'the rescuer recorded the result');

      stalled.process.kill('SIGCONT');
      const rejected = await waitFor(
        async () => (await store.listRejectedCommits(handle.id)).length > 0,
        15_000,
      );
      assert.ok(rejected, 'the stalled worker tried to commit and was refused');
      const [rejection] = await store.listRejectedCommits(handle.id);
      assert.equal(rejection.owner, 'stalled');
      assert.equal(rejection.taskId, `${handle.id}|step|slow|1`);

      const history = await store.loadEvents(handle.id);
      assert.equal(
        history.filter((e) => e.type === 'StepCompleted').length,
        1,
        'the result is recorded once',
      );
      const effectsA = readSideEffects(files.a).records;
      const effectsB = readSideEffects(files.b).records;
      assert.ok(
        effectsA.some((r) => r.phase === 'end' && r.outcome === 'ok'),
        'the stalled worker did finish its handler after SIGCONT, with a result',
      );
      const violations = await checkHistory({ store, sideEffects: [...effectsA, ...effectsB] });
      assert.deepEqual(violations, [], formatViolations(violations));
      t.diagnostic(
        `stalled worker's commit refused (token ${rejection.token}, reason "${rejection.reason}"); ` +
          'the step ran twice (once per lease) and its result was recorded once',
      );
    } finally {
      for (const child of [stalled, rescuer]) {
        if (!child) continue;
        child.process.kill('SIGCONT');
        await killHard(child).catch(() => undefined);
      }
      await store.close();
    }
  });

  test('concurrency limits hold across worker processes', { timeout: 120_000 }, async (t) => {
    assert.ok(cluster);
    const url = cluster.url({ schema: 'limits', poolSize: '4' });
    const api = await createEngine({ store: url });
    await api.register(LIMITED_WORKFLOW_YAML);
    await api.setQueueLimit('scarce', 3);
    const runs = await Promise.all([api.start('limited', { n: 12 }), api.start('limited', { n: 12 })]);
    await api.close();
    const files = [0, 1, 2].map((i) => join(dir, `limits-${i}.jsonl`));
    // Two slots per process: reaching the limit of 3 takes steps on several processes (a single
    // process that frees a slot claims it again at once), and 6 slots could exceed it.
    const workers = files.map((effects) => startChaosChild({ url, effects, slowMs: 80, concurrency: 2 }));
    const store = new PostgresStore({ url });
    try {
      await Promise.all(workers.map((w) => readyOrFail(w)));
      await untilSettled(store, 60_000);
      for (const run of runs) assert.equal((await store.getRun(run.id))?.status, 'completed');
      const records = files.flatMap((file) => readSideEffects(file).records);
      const points = records.map((r) => ({ time: r.time, delta: r.phase === 'start' ? 1 : -1 }));
      points.sort((a, b) => a.time - b.time || a.delta - b.delta);
      let running = 0;
      let most = 0;
      for (const point of points) {
        running += point.delta;
        most = Math.max(most, running);
      }
      const pids = new Set(records.map((r) => r.pid));
      assert.equal(most, 3, 'three steps at once across the processes (the queue limit), never more');
      assert.ok(pids.size >= 2, 'the steps were spread over several worker processes');
      t.diagnostic(`24 limited steps on ${pids.size} worker processes: at most ${most} at once`);
    } finally {
      for (const worker of workers) await killHard(worker);
      await store.close();
    }
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await delay(20);
  }
  return false;
}
