/**
 * Commits whose outcome is unknown. A database connection can die after COMMIT reached the
 * server but before the reply came back (STORE_UNAVAILABLE). The engine must find out
 * instead of guessing: a commit that did happen is not written again and its step is not
 * run again (and tasks it leased to the worker are recovered); one that did not is retried.
 * The store here is a real SQLite store whose commit replies are lost on purpose.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { createEngine } from '../../src/runtime/engine.ts';
import { commitResolvingUnknown } from '../../src/runtime/store-retry.ts';
import { openStore } from '../../src/store/open.ts';
import type { CommitRequest, Store } from '../../src/store/types.ts';
import { checkHistory, type SideEffectRecord } from '../helpers/history-check.ts';
import { RunBuilder } from '../store/run-builder.ts';

type Fault = 'lose-reply' | 'fail-before' | undefined;

function unavailable(): BatonError {
  return new BatonError('STORE_UNAVAILABLE', 'connection terminated (injected)', { retryable: true });
}

/** The store with commit faults injected by `plan(n)` for the n-th commit. */
function faultyCommits(
  store: Store,
  plan: (n: number, request: CommitRequest) => Fault,
): Store & { faults: number } {
  let n = 0;
  const counters = { faults: 0 };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'faults') return counters.faults;
      if (prop === 'commit')
        return async (request: CommitRequest) => {
          const fault = plan(++n, request);
          if (fault) counters.faults++;
          if (fault === 'fail-before') throw unavailable();
          const result = await target.commit(request);
          if (fault === 'lose-reply') throw unavailable();
          return result;
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Store & { faults: number };
}

const CHAIN = `
name: chain
steps:
  - { id: a, task: effect, input: 1 }
  - { id: b, task: effect, input: "\${{ steps.a.output + 1 }}" }
  - { id: c, task: effect, input: "\${{ steps.b.output + 1 }}" }
  - { id: d, task: effect, input: "\${{ steps.c.output + 1 }}" }
output: \${{ steps.d.output }}
`;

async function runChain(plan: (n: number, request: CommitRequest) => Fault) {
  const store = faultyCommits(await openStore('memory'), plan);
  // A lease of a minute: a step waiting for its lease to expire would time the test out.
  const engine = await createEngine({ store });
  const effects: SideEffectRecord[] = [];
  engine.registerTask('effect', async (input, ctx) => {
    const record = {
      runId: ctx.runId,
      path: ctx.path,
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
    };
    effects.push({ ...record, phase: 'start', time: Date.now() });
    effects.push({ ...record, phase: 'end', time: Date.now() });
    return input as number;
  });
  try {
    await engine.register(CHAIN);
    engine.startWorker({ leaseMs: 60_000, pollMs: 20 });
    const handle = await engine.start('chain');
    const output = await handle.result({ timeoutMs: 10_000 });
    return {
      output,
      faults: store.faults,
      effects,
      violations: await checkHistory({ store, sideEffects: effects }),
      rejected: await store.listRejectedCommits(),
    };
  } finally {
    await engine.close();
  }
}

describe('commits with an unknown outcome', () => {
  test('a commit whose reply was lost is found in the history: nothing is written or run twice', async () => {
    const result = await runChain((n) => (n % 2 === 0 ? 'lose-reply' : undefined));
    assert.equal(result.output, 4);
    assert.ok(result.faults >= 2, `${result.faults} replies lost`);
    assert.deepEqual(result.violations, []);
    assert.equal(result.effects.filter((e) => e.phase === 'start').length, 4, 'each step ran once');
    assert.deepEqual(result.rejected, [], 'the worker did not mistake its own commit for a lost lease');
  });

  test('tasks the lost commit leased to the worker are recovered, not left to expire', async () => {
    // Only commits that hand the next step to the worker lose their reply.
    const result = await runChain((_n, request) => (request.claim ? 'lose-reply' : undefined));
    assert.equal(result.output, 4);
    assert.ok(result.faults >= 3);
    assert.deepEqual(result.violations, []);
  });

  test('a commit that failed before reaching the database is retried', async () => {
    const result = await runChain((n) => (n <= 4 ? 'fail-before' : undefined));
    assert.equal(result.output, 4);
    assert.equal(result.faults, 4);
    assert.deepEqual(result.violations, []);
    assert.equal(result.effects.filter((e) => e.phase === 'start').length, 4);
  });

  test('past its time budget the error surfaces, retryable', async () => {
    const store = faultyCommits(await openStore('memory'), () => 'fail-before');
    try {
      const { write } = RunBuilder.start('r1', { at: Date.now() });
      await assert.rejects(
        commitResolvingUnknown(store, { writes: [write] }, 200),
        (error: unknown) =>
          error instanceof BatonError && error.code === 'STORE_UNAVAILABLE' && error.retryable,
      );
      assert.ok(store.faults >= 3, 'it tried more than once');
      assert.equal(await store.getRun('r1'), undefined);
    } finally {
      await store.close();
    }
  });
});
