/**
 * The history checker must be able to fail: a real engine records a correct history (no
 * violations), then each test damages a copy of the evidence the way a broken engine
 * would (a result recorded twice, a step run after it completed, a wrong idempotency key,
 * a lost side effect, a gap in the history, a second outcome, a stale projection…) and
 * expects exactly that violation to be reported.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../src/core/events.ts';
import { changedStepRows, runRow } from '../../src/core/projection.ts';
import { replay } from '../../src/core/state.ts';
import { BatonError } from '../../src/errors.ts';
import { createEngine, type Engine } from '../../src/runtime/engine.ts';
import type { Store } from '../../src/store/types.ts';
import { checkHistory, type SideEffectRecord, type Violation } from '../helpers/history-check.ts';

const WORKFLOW = `
name: checked
steps:
  - id: a
    task: effect
  - id: b
    task: effect
    input: { failFirst: true }
    retry: { attempts: 2, backoff: fixed, delay: 5ms, jitter: none }
output: \${{ steps.b.output }}
`;

interface Recorded {
  engine: Engine;
  store: Store;
  runId: string;
  effects: SideEffectRecord[];
  events: RunEvent[];
}

/** Runs the workflow on a real engine and in-memory store, logging side effects like the crash child does. */
async function recordRun(): Promise<Recorded> {
  const engine = await createEngine({ store: 'memory' });
  const effects: SideEffectRecord[] = [];
  engine.registerTask('effect', async (input, ctx) => {
    const base = {
      runId: ctx.runId,
      path: ctx.path,
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
      pid: process.pid,
    };
    effects.push({ ...base, phase: 'start', time: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 2));
    if ((input as { failFirst?: boolean } | null)?.failFirst && ctx.attempt === 1) {
      effects.push({ ...base, phase: 'end', outcome: 'error', time: Date.now() });
      throw new BatonError('FLAKY', 'first attempt fails', { retryable: true });
    }
    effects.push({ ...base, phase: 'end', outcome: 'ok', time: Date.now() });
    return { done: ctx.path };
  });
  await engine.register(WORKFLOW);
  engine.startWorker({ pollMs: 5 });
  const handle = await engine.start('checked', {});
  await handle.result({ timeoutMs: 10_000 });
  await engine.stopWorker();
  return { engine, store: engine.store, runId: handle.id, effects, events: await engine.history(handle.id) };
}

/**
 * Appends events to a run's history through the store's normal commit path, with the
 * projections a broken engine would write for them (so only the intended damage shows).
 */
async function append(
  recorded: Recorded,
  bodies: Record<string, unknown>[],
  options: { seqGap?: number } = {},
): Promise<void> {
  const row = await recordedRow(recorded);
  let seq = row.seq + (options.seqGap ?? 0);
  const events = bodies.map((body) => ({ ...body, seq: ++seq, at: Date.now() }) as RunEvent);
  const state = replay(recorded.runId, [...recorded.events, ...events]);
  const result = await recorded.store.commit({
    writes: [
      {
        runId: recorded.runId,
        expectedSeq: row.seq,
        events,
        run: runRow(state),
        steps: changedStepRows(state, events),
        tasks: { insert: [], remove: [], removeAll: false },
      },
    ],
  });
  assert.equal(result.ok, true, 'the damaging commit was applied');
}

async function recordedRow(recorded: Recorded) {
  const row = await recorded.store.getRun(recorded.runId);
  assert.ok(row);
  return row;
}

function rules(violations: Violation[]): string[] {
  return [...new Set(violations.map((v) => v.rule))].sort();
}

function completion(recorded: Recorded, path: string) {
  const event = recorded.events.find((e) => e.type === 'StepCompleted' && e.path === path);
  assert.ok(event && event.type === 'StepCompleted');
  return event;
}

describe('history checker', () => {
  test('finds nothing wrong with a history the engine recorded, retries included', async () => {
    const recorded = await recordRun();
    try {
      assert.ok(
        recorded.events.some((e) => e.type === 'StepFailed' && e.path === 'b'),
        'b failed once and was retried',
      );
      assert.deepEqual(await checkHistory({ store: recorded.store, sideEffects: recorded.effects }), []);
    } finally {
      await recorded.engine.close();
    }
  });

  test('reports a step result recorded twice and a second run outcome', async () => {
    const recorded = await recordRun();
    try {
      const first = completion(recorded, 'a');
      await append(recorded, [
        { type: 'StepCompleted', path: 'a', attempt: first.attempt, output: first.output },
        { type: 'RunCompleted', output: null },
      ]);
      const violations = await checkHistory({ store: recorded.store, sideEffects: recorded.effects });
      assert.deepEqual(rules(violations), ['duplicate-step-result', 'event-after-outcome', 'outcome-count']);
      assert.equal(violations.find((v) => v.rule === 'duplicate-step-result')?.path, 'a');
    } finally {
      await recorded.engine.close();
    }
  });

  test('reports a step executed again after its completion was committed', async () => {
    const recorded = await recordRun();
    try {
      const done = completion(recorded, 'a');
      const rerun: SideEffectRecord = {
        ...recorded.effects.find((r) => r.path === 'a')!,
        phase: 'start',
        time: done.at + 1,
      };
      const violations = await checkHistory({
        store: recorded.store,
        sideEffects: [...recorded.effects, rerun],
      });
      assert.deepEqual(rules(violations), ['executed-after-result']);
      assert.equal(violations[0].path, 'a');
      // At the very millisecond of the commit decision it is not provably later, so it is allowed.
      const same = { ...rerun, time: done.at };
      assert.deepEqual(
        await checkHistory({ store: recorded.store, sideEffects: [...recorded.effects, same] }),
        [],
      );
    } finally {
      await recorded.engine.close();
    }
  });

  test('reports side effects under the wrong idempotency key, unscheduled attempts and unknown runs', async () => {
    const recorded = await recordRun();
    try {
      const sample = recorded.effects.find((r) => r.path === 'b' && r.attempt === 2)!;
      const tampered = recorded.effects.map((r) =>
        r === sample ? { ...r, idempotencyKey: `${r.runId}:b:2` } : r,
      );
      const phantom = { ...sample, attempt: 3 };
      const ghost = { ...sample, runId: 'no-such-run', idempotencyKey: 'no-such-run:b' };
      const violations = await checkHistory({
        store: recorded.store,
        sideEffects: [...tampered, phantom, ghost],
      });
      assert.deepEqual(rules(violations), ['unknown-run', 'unscheduled-execution', 'wrong-idempotency-key']);
      // Restricted to chosen runs, records of other runs are not this check's business.
      const scoped = await checkHistory({
        store: recorded.store,
        sideEffects: [...recorded.effects, ghost],
        runIds: [recorded.runId],
      });
      assert.deepEqual(scoped, []);
    } finally {
      await recorded.engine.close();
    }
  });

  test('reports a completed attempt with no finished side effect, and execution before the attempt was due', async () => {
    const recorded = await recordRun();
    try {
      const withoutEnd = recorded.effects.filter(
        (r) => !(r.path === 'b' && r.attempt === 2 && r.phase === 'end'),
      );
      const lost = await checkHistory({ store: recorded.store, sideEffects: withoutEnd });
      assert.deepEqual(rules(lost), ['missing-side-effect']);
      assert.equal(lost[0].path, 'b');

      const retry = recorded.events.find(
        (e) => e.type === 'StepScheduled' && e.path === 'b' && e.attempt === 2,
      );
      assert.ok(retry && retry.type === 'StepScheduled');
      const early = recorded.effects.map((r) =>
        r.path === 'b' && r.attempt === 2 && r.phase === 'start' ? { ...r, time: retry.runAt - 3 } : r,
      );
      const tooSoon = await checkHistory({ store: recorded.store, sideEffects: early });
      assert.ok(rules(tooSoon).includes('executed-before-due'), JSON.stringify(tooSoon));
      // The checker's tolerance is for stores whose clock is not the handlers' clock.
      const tolerant = await checkHistory({
        store: recorded.store,
        sideEffects: early,
        clockToleranceMs: 50,
      });
      assert.deepEqual(tolerant, []);
      // Steps whose handlers do not log side effects can be excluded from the at-least-once check.
      const untracked = await checkHistory({
        store: recorded.store,
        sideEffects: withoutEnd,
        tracksSideEffects: (_run, path) => path !== 'b',
      });
      assert.deepEqual(untracked, []);
    } finally {
      await recorded.engine.close();
    }
  });

  test('reports a gap in the sequence numbers', async () => {
    const recorded = await recordRun();
    try {
      // The store refuses to write a gap, so the gap is made where the checker reads.
      await assert.rejects(append(recorded, [{ type: 'RunPaused', by: 'test' }], { seqGap: 1 }), {
        code: 'STORE_INTERNAL',
      });
      const store = recorded.store;
      const gapped = new Proxy(store, {
        get(target, key) {
          if (key === 'loadEvents')
            return async (runId: string, after?: number) =>
              (await target.loadEvents(runId, after)).filter((e) => e.seq !== 3);
          const value = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const violations = await checkHistory({ store: gapped, sideEffects: recorded.effects });
      assert.ok(rules(violations).includes('seq-not-contiguous'), JSON.stringify(violations));
    } finally {
      await recorded.engine.close();
    }
  });

  test('reports a run row that replaying its history does not give', async () => {
    const recorded = await recordRun();
    try {
      const row = await recordedRow(recorded);
      const result = await recorded.store.commit({
        writes: [
          {
            runId: recorded.runId,
            expectedSeq: row.seq,
            events: [],
            run: { ...row, output: { done: 'tampered' } },
            steps: { upsert: [], remove: [] },
            tasks: { insert: [], remove: [], removeAll: false },
          },
        ],
      });
      assert.equal(result.ok, true);
      const violations = await checkHistory({ store: recorded.store, sideEffects: recorded.effects });
      assert.deepEqual(rules(violations), ['replay-mismatch']);
      assert.match(violations[0].message, /output/);
    } finally {
      await recorded.engine.close();
    }
  });

  test('reports a run without an outcome unless outcomes are not required', async () => {
    const engine = await createEngine({ store: 'memory' });
    try {
      await engine.register('name: idle\nsteps:\n  - { id: nap, wait: 1h }\n');
      const { id } = await engine.start('idle', {});
      const violations = await checkHistory({ store: engine.store, sideEffects: [] });
      assert.deepEqual(rules(violations), ['outcome-count', 'run-not-terminal']);
      assert.ok(violations.every((v) => v.runId === id));
      assert.deepEqual(
        await checkHistory({ store: engine.store, sideEffects: [], requireTerminal: false }),
        [],
      );
    } finally {
      await engine.close();
    }
  });
});
