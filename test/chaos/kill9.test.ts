/**
 * Crash recovery on PostgreSQL with several workers: three worker processes share one
 * database; in every cycle a random subset of them (one to all three at once) is SIGKILLed
 * at a random moment (while starting, creating runs, running handlers, committing), and the
 * dead are replaced. Then one worker drains the backlog and the history checker must find
 * 0 lost runs, 0 completed steps re-run, 0 results recorded twice, every output right.
 *
 * CI: 20 kill cycles, 30 runs. `npm run chaos`: 200 cycles, 100 runs. CHAOS_KILL_CYCLES,
 * CHAOS_KILL_RUNS and CHAOS_SEED override; the seed is printed so a schedule can be replayed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunEvent } from '../../src/core/events.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { summarise } from '../crash/crash-summary.ts';
import { CRASH_WORKFLOW_NAME, expectedOutput, runKey } from '../crash/crash-workflow.ts';
import { readJsonLines, readSideEffects } from '../crash/side-effect-log.ts';
import { awaitCompletion, type Child, killHard, seededRandom } from '../helpers/child.ts';
import { checkHistory, formatViolations } from '../helpers/history-check.ts';
import {
  alive,
  delay,
  idempotentStartProblems,
  knob,
  type StartRecord,
  startChaosChild,
  within,
} from './chaos-processes.ts';
import { type PrivateCluster, privateClusterSkipReason, startPrivateCluster } from './pg-cluster.ts';

const CYCLES = knob('CHAOS_KILL_CYCLES', 20, 200);
const RUNS = knob('CHAOS_KILL_RUNS', 30, 100);
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WORKERS = 3;
const LEASE_MS = 1_000;
const EARLY_KILL_SHARE = 0.25;
const FINAL_TIMEOUT_MS = 300_000;

const skip = privateClusterSkipReason();
let cluster: PrivateCluster | undefined;
before(async () => {
  if (!skip) cluster = await startPrivateCluster();
});
after(async () => {
  await cluster?.stop();
});

test(`SIGKILL ${CYCLES} times among ${WORKERS} PostgreSQL workers: nothing lost, nothing twice (seed ${SEED})`, {
  skip,
  timeout: 1_800_000,
}, async (t) => {
  assert.ok(cluster);
  const began = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'baton-chaos-kill-'));
  const url = cluster.url({ schema: 'kill9', poolSize: '4', application_name: 'baton-chaos-kill9' });
  const files = { effects: join(dir, 'effects.jsonl'), starts: join(dir, 'starts.jsonl') };
  const random = seededRandom(SEED);
  t.diagnostic(`seed ${SEED} (CHAOS_SEED=${SEED} repeats this kill schedule); files in ${dir}`);

  const rampCycles = Math.max(1, Math.floor(CYCLES * 0.5));
  const slots: (Child | undefined)[] = Array.from({ length: WORKERS }, () => undefined);
  let kills = 0;
  let earlyKills = 0;
  let simultaneous = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    // Runs are added over the first half, so restarts keep finding fresh work to interrupt.
    const runs = Math.min(RUNS, Math.ceil((RUNS * (cycle + 1)) / rampCycles));
    const fresh: Child[] = [];
    for (let i = 0; i < WORKERS; i++) {
      if (slots[i] && alive(slots[i] as Child)) continue;
      slots[i] = startChaosChild({ url, ...files, runs, leaseMs: LEASE_MS, concurrency: 4 });
      fresh.push(slots[i] as Child);
    }
    const early = random() < EARLY_KILL_SHARE;
    if (early) {
      earlyKills++;
      await delay(random() * 800);
    } else {
      // Once a replacement is working, the kill lands anywhere in the others' lives.
      await within(Promise.race(fresh.map((c) => c.ready)), 60_000, undefined);
      await delay(50 + random() * 500);
    }
    // One to all of the workers, killed at the same moment.
    const live = slots.filter((s): s is Child => s !== undefined);
    const victims = live.filter(() => random() < 0.5);
    if (victims.length === 0) victims.push(live[Math.floor(random() * live.length)]);
    if (victims.length > 1) simultaneous++;
    for (const victim of victims) if (alive(victim)) victim.process.kill('SIGKILL');
    for (const victim of victims) await killHard(victim);
    kills += victims.length;
  }
  for (const child of slots) if (child) await killHard(child);

  const drainFrom = Date.now();
  const final = startChaosChild({
    url,
    ...files,
    runs: RUNS,
    leaseMs: LEASE_MS,
    concurrency: 8,
    untilDone: true,
  });
  await awaitCompletion(final, FINAL_TIMEOUT_MS);
  const drainMs = Date.now() - drainFrom;

  const store = new PostgresStore({ url });
  try {
    const effects = readSideEffects(files.effects);
    assert.equal(effects.tornTail, false, 'a side-effect record was cut short');
    const violations = await checkHistory({ store, sideEffects: effects.records });
    assert.deepEqual(violations, [], `history violations:\n${formatViolations(violations)}`);
    const all = await store.listRuns({ limit: RUNS + 100 });
    assert.equal(all.length, RUNS, 'exactly one run per idempotency key: 0 lost, 0 duplicated');
    const histories: RunEvent[][] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await store.findRunByIdempotencyKey(runKey(i));
      assert.ok(run, `run ${runKey(i)} exists`);
      assert.equal(run.workflowName, CRASH_WORKFLOW_NAME);
      assert.equal(run.status, 'completed', `${runKey(i)} completed`);
      assert.deepEqual(run.output, expectedOutput(i), `${runKey(i)} has the output computed without crashes`);
      histories.push(await store.loadEvents(run.id));
    }
    const starts = readJsonLines<StartRecord>(files.starts).records;
    assert.deepEqual(idempotentStartProblems(starts), []);
    const summary = summarise(effects.records, histories);
    t.diagnostic(
      `${CYCLES} kill cycles, ${kills} processes SIGKILLed (${simultaneous} cycles killed several at once, ` +
        `${earlyKills} aimed at startup); ${RUNS} runs, ${summary.completedSteps} steps completed ` +
        `(${summary.completedTaskSteps} by handlers), ${summary.handlerExecutions} handler executions, ` +
        `${summary.interruptedExecutions} cut short by a kill, ${summary.reExecutedAttempts} attempts re-executed, ` +
        `${summary.retriedAttempts} retries; 0 violations; ${((Date.now() - began) / 1000).toFixed(1)}s in all, ` +
        `${(drainMs / 1000).toFixed(1)}s for the final worker`,
    );
    if (CYCLES >= 10) {
      assert.ok(summary.interruptedExecutions > 0, 'some kills interrupted a running handler');
      assert.ok(summary.reExecutedAttempts > 0, 'some interrupted attempts ran again');
      assert.ok(simultaneous > 0, 'some cycles killed several workers at once');
      assert.ok(
        starts.some((s) => !s.created),
        'restarts started existing keys again and got the existing runs',
      );
    }
  } finally {
    await store.close();
  }
  rmSync(dir, { recursive: true, force: true });
});
