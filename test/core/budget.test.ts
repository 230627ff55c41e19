/**
 * Budget reservations are pure state: a reservation counts against the run's budget until
 * the call's turn is recorded under the same key or the step stops, a second step cannot
 * pass the check on headroom the first one reserved, raised limits are history, and a
 * replay of the events rebuilds exactly the same bookkeeping.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BudgetLimits, reserveBudget } from '../../src/core/budget.ts';
import type { RunEvent, RunEventBody } from '../../src/core/events.ts';
import { evolve, newRunState, type RunState, replay } from '../../src/core/state.ts';
import { BatonError } from '../../src/errors.ts';

const AT = Date.UTC(2026, 0, 1);

function runWith(...paths: string[]): {
  state: RunState;
  history: RunEvent[];
  add(body: RunEventBody): void;
} {
  const started: RunEvent = {
    type: 'RunStarted',
    seq: 1,
    at: AT,
    workflow: { name: 'wf', version: '1', hash: 'h' },
    input: {},
  };
  const state = newRunState('r1', started as Extract<RunEvent, { type: 'RunStarted' }>);
  const history: RunEvent[] = [started];
  const add = (body: RunEventBody) => {
    const event = { ...body, seq: state.seq + 1, at: AT } as RunEvent;
    evolve(state, event);
    history.push(event);
  };
  for (const path of paths) add({ type: 'StepScheduled', path, attempt: 1, input: null, runAt: AT });
  return { state, history, add };
}

const usd = (limit: number): BudgetLimits => ({ run: { usd: limit } });

function reserve(
  run: ReturnType<typeof runWith>,
  path: string,
  key: string,
  estimate: { usd: number; tokens: number },
  limits: BudgetLimits,
  extra: Partial<Parameters<typeof reserveBudget>[3]> = {},
) {
  const result = reserveBudget(run.state, path, 1, { key, estimate, limits, ...extra }, AT);
  if (result) run.history.push(...result.events);
  return result;
}

function exceeded(fn: () => unknown): BatonError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof BatonError);
    assert.equal(error.code, 'BUDGET_EXCEEDED');
    return error;
  }
  assert.fail('expected BUDGET_EXCEEDED');
}

describe('budget reservations', () => {
  test('a second step cannot use the headroom the first one reserved', () => {
    const run = runWith('a', 'b');
    const first = reserve(run, 'a', 'turn:1', { usd: 0.6, tokens: 100 }, usd(1));
    assert.deepEqual(first?.verdict, { ok: true });
    assert.deepEqual(run.state.budget?.reserved, { usd: 0.6, tokens: 100 });
    const error = exceeded(() => reserve(run, 'b', 'turn:1', { usd: 0.6, tokens: 100 }, usd(1)));
    assert.deepEqual(error.details, {
      scope: 'run',
      limit: { usd: 1 },
      spent: { usd: 0, tokens: 0 },
      reserved: { usd: 0.6, tokens: 100 },
      estimate: { usd: 0.6, tokens: 100 },
    });
    assert.deepEqual(reserve(run, 'b', 'turn:1', { usd: 0.4, tokens: 100 }, usd(1))?.verdict, { ok: true });
  });

  test('recording the turn releases its reservation and counts the real usage instead', () => {
    const run = runWith('a');
    reserve(run, 'a', 'turn:1', { usd: 0.5, tokens: 1000 }, { run: { tokens: 1500 } });
    run.add({
      type: 'StepProgress',
      path: 'a',
      attempt: 1,
      key: 'turn:1',
      value: 'answer',
      usage: { calls: 1, inputTokens: 300, outputTokens: 100, cachedInputTokens: 0, costUsd: 0.2 },
    });
    assert.deepEqual(run.state.budget?.reserved, { usd: 0, tokens: 0 });
    assert.equal(run.state.budget?.reservations.size, 0);
    // 400 tokens spent: 1,100 more fit under 1,500, 1,101 do not.
    assert.ok(reserve(run, 'a', 'turn:2', { usd: 0, tokens: 1100 }, { run: { tokens: 1500 } }));
    exceeded(() => reserve(run, 'a', 'turn:3', { usd: 0, tokens: 1 }, { run: { tokens: 1500 } }));
  });

  test('a re-executed call replaces its reservation; a step that stops releases all of its own', () => {
    const run = runWith('a', 'b');
    reserve(run, 'a', 'turn:1', { usd: 0.3, tokens: 10 }, usd(1));
    reserve(run, 'a', 'turn:1', { usd: 0.4, tokens: 10 }, usd(1));
    reserve(run, 'b', 'turn:1', { usd: 0.5, tokens: 10 }, usd(1));
    assert.deepEqual(run.state.budget?.reserved, { usd: 0.9, tokens: 20 });
    run.add({
      type: 'StepFailed',
      path: 'a',
      attempt: 1,
      error: { code: 'X', message: 'x', retryable: false },
    });
    assert.deepEqual(run.state.budget?.reserved, { usd: 0.5, tokens: 10 });
    run.add({
      type: 'StepSuspended',
      path: 'b',
      attempt: 1,
      key: 'budget:1',
      request: { message: 'm', reviewers: [], onTimeout: 'reject', onReject: 'continue' },
    });
    assert.deepEqual(run.state.budget?.reserved, { usd: 0, tokens: 0 });
  });

  test('an approved raise is recorded once and lets the call through', () => {
    const run = runWith('a');
    run.add({
      type: 'StepProgress',
      path: 'a',
      attempt: 1,
      key: 'turn:1',
      value: 'x',
      usage: { calls: 1, inputTokens: 10, outputTokens: 10, cachedInputTokens: 0, costUsd: 0.9 },
    });
    exceeded(() => reserve(run, 'a', 'turn:2', { usd: 0.2, tokens: 0 }, usd(1)));
    const raise = { scope: 'run' as const, usd: 2, by: 'ann' };
    const raised = reserve(run, 'a', 'turn:2', { usd: 0.2, tokens: 0 }, usd(1), { raise });
    assert.deepEqual(
      raised?.events.map((e) => e.type),
      ['BudgetRaised', 'BudgetReserved'],
    );
    assert.deepEqual(run.state.budget?.raised, { run: { usd: 2 } });
    const again = reserve(run, 'a', 'turn:2', { usd: 0.2, tokens: 0 }, usd(1), { raise });
    assert.deepEqual(
      again?.events.map((e) => e.type),
      ['BudgetReserved'],
    );
    const tooSmall = reserve(run, 'a', 'turn:2', { usd: 0.2, tokens: 0 }, usd(1), {
      raise: { scope: 'run', usd: 1.05 },
    });
    assert.equal(tooSmall?.verdict.ok, false);
    assert.deepEqual(
      tooSmall?.events.map((e) => e.type),
      ['BudgetRaised'],
    );
  });

  test('a per-workflow limit counts what the other runs spent plus this run', () => {
    const run = runWith('a');
    const limits: BudgetLimits = { workflow: { usd: 10, windowMs: 86_400_000 } };
    assert.ok(
      reserve(run, 'a', 'turn:1', { usd: 1, tokens: 0 }, limits, { workflowSpent: { usd: 8.5, tokens: 0 } }),
    );
    const error = exceeded(() =>
      reserve(run, 'a', 'turn:2', { usd: 1, tokens: 0 }, limits, { workflowSpent: { usd: 8.5, tokens: 0 } }),
    );
    assert.equal((error.details as { scope: string }).scope, 'workflow');
  });

  test('a stale attempt reserves nothing, and a replay rebuilds the same bookkeeping', () => {
    const run = runWith('a', 'b');
    assert.equal(
      reserveBudget(
        run.state,
        'a',
        2,
        { key: 'turn:1', estimate: { usd: 0, tokens: 1 }, limits: usd(1) },
        AT,
      ),
      undefined,
    );
    reserve(run, 'a', 'turn:1', { usd: 0.25, tokens: 5 }, usd(1));
    reserve(run, 'b', 'turn:4', { usd: 0.5, tokens: 7 }, usd(1), { raise: { scope: 'run', usd: 3 } });
    const replayed = replay('r1', run.history);
    assert.deepEqual(replayed.budget, run.state.budget);
    assert.equal(replayed.seq, run.state.seq);
  });
});
