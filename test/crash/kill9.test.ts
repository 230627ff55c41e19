/**
 * Crash-recovery proof: a real worker process is SIGKILLed many times at random moments
 * (during startup and run creation, and while handlers run and results commit), restarted
 * on the same SQLite file each time, then left to finish. The history checker must then
 * find no lost or duplicated work: every run completes with the right output, no completed
 * step runs again, no result or outcome is recorded twice, interrupted steps re-run with
 * their idempotency key, and replaying each history gives the stored rows.
 *
 * CRASH_CYCLES (default 50), CRASH_RUNS (default 30) and CRASH_SEED (default: random,
 * printed) tune it; re-running with a failing seed gives the same kill schedule.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunEvent } from '../../src/core/events.ts';
import { openStore } from '../../src/store/open.ts';
import { awaitCompletion, killHard, seededRandom } from '../helpers/child.ts';
import { checkHistory, formatViolations } from '../helpers/history-check.ts';
import { type ChildOptions, startChild } from './child-process.ts';
import { summarise } from './crash-summary.ts';
import { CRASH_WORKFLOW_NAME, expectedOutput, runKey } from './crash-workflow.ts';
import { readJsonLines, readSideEffects } from './side-effect-log.ts';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 50);
const RUNS = Number(process.env.CRASH_RUNS ?? 40);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const LEASE_MS = 400;
/** Share of kills aimed at startup (opening the store, creating runs) rather than at running steps. */
const EARLY_KILL_SHARE = 0.3;
const READY_TIMEOUT_MS = 60_000;
const FINAL_TIMEOUT_MS = 180_000;

interface StartRecord {
  key: string;
  runId: string;
  created: boolean;
  pid: number;
}

test(`SIGKILL a worker ${CYCLES} times: no work lost, no result recorded twice (seed ${SEED})`, {
  timeout: 600_000,
}, async (t) => {
  const began = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'baton-crash-'));
  const files = {
    db: join(dir, 'baton.db'),
    effects: join(dir, 'side-effects.jsonl'),
    starts: join(dir, 'starts.jsonl'),
  };
  const base: Omit<ChildOptions, 'runs'> = { ...files, leaseMs: LEASE_MS, concurrency: 2 };
  const random = seededRandom(SEED);
  t.diagnostic(`seed ${SEED} (CRASH_SEED=${SEED} repeats this kill schedule); files in ${dir}`);

  // Runs are added over the first half of the cycles, so every restart finds fresh work to
  // interrupt and re-starts every earlier key (which must return the existing run).
  const rampCycles = Math.max(1, Math.floor(CYCLES * 0.5));
  let readyEstimateMs = 1_000;
  let earlyKills = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const runs = Math.min(RUNS, Math.ceil((RUNS * (cycle + 1)) / rampCycles));
    const child = startChild({ ...base, runs });
    void child.ready.then((ms) => {
      readyEstimateMs = ms;
    });
    if (random() < EARLY_KILL_SHARE) {
      earlyKills++;
      await delay(random() * readyEstimateMs);
    } else {
      const ready = await Promise.race([
        child.ready,
        child.exited,
        delay(READY_TIMEOUT_MS, { unref: true }).then(() => 'late' as const),
      ]);
      if (ready === 'late') {
        child.process.kill('SIGKILL');
        assert.fail(
          `cycle ${cycle}: the worker was not ready within ${READY_TIMEOUT_MS}ms:\n${child.stderrTail()}`,
        );
      }
      await delay(20 + random() * 480);
    }
    await killHard(child);
  }

  const cyclesDoneAt = Date.now();
  // The last worker drains the backlog faster: nothing kills it.
  const final = startChild({ ...base, concurrency: 8, runs: RUNS, untilDone: true });
  await awaitCompletion(final, FINAL_TIMEOUT_MS);
  const finalMs = Date.now() - cyclesDoneAt;

  const store = await openStore(`sqlite:${files.db}`);
  try {
    const effects = readSideEffects(files.effects);
    assert.equal(effects.tornTail, false, 'a side-effect record was cut short');
    const violations = await checkHistory({ store, sideEffects: effects.records });
    assert.deepEqual(violations, [], `history violations:\n${formatViolations(violations)}`);

    const runs = await store.listRuns({ limit: RUNS + 100 });
    assert.equal(runs.length, RUNS, 'exactly one run per idempotency key');
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
    checkIdempotentStarts(starts);

    const summary = summarise(effects.records, histories);
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    t.diagnostic(
      `${CYCLES} kills (${earlyKills} aimed at startup), ${RUNS} runs, ${summary.completedSteps} steps completed ` +
        `(${summary.completedTaskSteps} by handlers), ${summary.handlerExecutions} handler executions, ` +
        `${summary.interruptedExecutions} cut short by a kill in ${summary.processesKilledMidStep} processes, ` +
        `${summary.reExecutedAttempts} attempts re-executed, ${summary.retriedAttempts} retries, max attempt ${summary.maxAttempt}; ` +
        `${seconds}s in all, ${(finalMs / 1000).toFixed(1)}s of it for the final worker`,
    );
    if (CYCLES >= 10) {
      // Otherwise the proof would be vacuous: the kills must really have landed inside steps.
      assert.ok(summary.interruptedExecutions > 0, 'some kills interrupted a running handler');
      assert.ok(summary.reExecutedAttempts > 0, 'some interrupted attempts ran again');
      assert.ok(summary.maxAttempt >= 2, 'retries happened');
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

/** Every start of a key returned the same run, and only one of them created it. */
function checkIdempotentStarts(records: readonly StartRecord[]): void {
  const byKey = new Map<string, StartRecord[]>();
  for (const record of records) byKey.set(record.key, [...(byKey.get(record.key) ?? []), record]);
  for (const [key, starts] of byKey) {
    assert.equal(new Set(starts.map((s) => s.runId)).size, 1, `every start of ${key} returned the same run`);
    assert.ok(starts.filter((s) => s.created).length <= 1, `${key} was created at most once`);
  }
}

/** `unref`: a guard timer that must not keep the test process alive once the test is over. */
function delay(ms: number, options: { unref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (options.unref) timer.unref();
  });
}
