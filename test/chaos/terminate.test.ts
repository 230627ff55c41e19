/**
 * Connections killed under the engine: while two workers execute runs on the shared test
 * PostgreSQL server, this test keeps terminating their backends with pg_terminate_backend
 * (only backends of its own application_name), idle ones between steps and busy ones in
 * the middle of claims and commits alike, the LISTEN connections included. Every run must
 * complete with the right output; the history checker must find nothing lost or doubled.
 *
 * CI: 40 runs, a kill every 100–300 ms. `npm run chaos`: 300 runs. CHAOS_TERMINATE_RUNS overrides.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pino from 'pino';
import type { RunEvent } from '../../src/core/events.ts';
import { createEngine, type Engine } from '../../src/runtime/engine.ts';
import { delay, isStoreUnavailable } from '../../src/runtime/store-retry.ts';
import { summarise } from '../crash/crash-summary.ts';
import { CRASH_WORKFLOW_NAME, CRASH_WORKFLOW_YAML, expectedOutput, runKey } from '../crash/crash-workflow.ts';
import { seededRandom } from '../helpers/child.ts';
import { checkHistory, formatViolations, type SideEffectRecord } from '../helpers/history-check.ts';
import { adminQuery, dropSchema, freshSchema, postgresSkipReason } from '../helpers/postgres.ts';
import { knob } from './chaos-processes.ts';
import { registerChaosHandlers } from './chaos-workflows.ts';

const RUNS = knob('CHAOS_TERMINATE_RUNS', 40, 300);
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const skip = await postgresSkipReason();
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const schema of schemas) await dropSchema(schema);
});

async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let wait = 20; ; wait = Math.min(500, wait * 2)) {
    try {
      return await work();
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      await delay(wait);
    }
  }
}

test(`backends killed with pg_terminate_backend while ${RUNS} runs execute: all recovered`, {
  skip,
  timeout: 900_000,
}, async (t) => {
  const appName = `baton-chaos-terminate-${process.pid}`;
  const { url, schema } = freshSchema('terminate', { application_name: appName, poolSize: '4' });
  schemas.push(schema);
  const random = seededRandom(SEED);
  const records: SideEffectRecord[] = [];
  const effects = {
    append: (record: object) => records.push(record as SideEffectRecord),
    close: () => undefined,
  };
  const quiet = pino({ level: 'silent' });
  const engines: Engine[] = [];
  for (let i = 0; i < 3; i++) engines.push(await createEngine({ store: url, logger: quiet }));
  const [api, ...workers] = engines;
  for (const worker of workers) {
    registerChaosHandlers(worker, { effects, slowMs: 0 });
    worker.startWorker({ leaseMs: 3_000, concurrency: 8 });
  }
  let killing = true;
  let terminated = 0;
  let rounds = 0;
  const killer = (async () => {
    while (killing) {
      await delay(100 + random() * 200);
      const rows = await adminQuery(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
        [appName],
      );
      terminated += rows.length;
      rounds++;
    }
  })();
  const began = Date.now();
  try {
    await retrying(() => api.register(CRASH_WORKFLOW_YAML));
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      ids.push(
        (await retrying(() => api.start(CRASH_WORKFLOW_NAME, { n: i }, { idempotencyKey: runKey(i) }))).id,
      );
    }
    const deadline = Date.now() + 600_000;
    for (;;) {
      const active = await retrying(() =>
        api.listRuns({ status: ['pending', 'running', 'waiting'], limit: 1 }),
      );
      if (active.length === 0) break;
      assert.ok(Date.now() < deadline, 'runs still active after 10 minutes');
      await delay(100);
    }
  } finally {
    killing = false;
    await killer;
  }
  const seconds = (Date.now() - began) / 1000;
  try {
    const store = api.store;
    const violations = await checkHistory({ store, sideEffects: records });
    assert.deepEqual(violations, [], `history violations:\n${formatViolations(violations)}`);
    const histories: RunEvent[][] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await store.findRunByIdempotencyKey(runKey(i));
      assert.equal(run?.status, 'completed', `${runKey(i)} completed`);
      assert.deepEqual(run?.output, expectedOutput(i));
      histories.push(await store.loadEvents(run?.id ?? ''));
    }
    assert.equal((await store.listRuns({ limit: RUNS + 10 })).length, RUNS);
    assert.ok(terminated > rounds / 2, `the killer terminated backends (${terminated} in ${rounds} rounds)`);
    const summary = summarise(records, histories);
    t.diagnostic(
      `${terminated} backends terminated in ${rounds} rounds; ${RUNS} runs completed, ${summary.completedSteps} steps, ` +
        `${summary.handlerExecutions} handler executions (${summary.reExecutedAttempts} attempts re-executed), ` +
        `0 history violations; ${seconds.toFixed(1)}s (seed ${SEED})`,
    );
  } finally {
    for (const engine of engines) await engine.close();
  }
});
