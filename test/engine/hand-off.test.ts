/**
 * Claim-on-insert in the worker: the commit that records a step's result leases the
 * run's next step to the same worker, which runs it at once instead of claiming it with
 * another query, unless older work is already waiting, which keeps its turn.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEngine } from '../../src/runtime/engine.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/types.ts';

function chain(name: string, length: number): string {
  const steps = Array.from(
    { length },
    (_, i) => `  - { id: s${i}, task: record${i === 0 ? '' : `, needs: [s${i - 1}]`} }`,
  );
  return `name: ${name}\nsteps:\n${steps.join('\n')}\n`;
}

/** An in-memory SQLite store that counts claim queries. */
async function countingStore(): Promise<{ store: Store; claims: () => number }> {
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  let claims = 0;
  const claimTasks = store.claimTasks.bind(store);
  store.claimTasks = (options) => {
    claims++;
    return claimTasks(options);
  };
  return { store, claims: () => claims };
}

describe('worker hand-off (claim-on-insert)', () => {
  test('a chain runs step after step without claiming each step', async () => {
    const { store, claims } = await countingStore();
    const engine = await createEngine({ store });
    const executed: string[] = [];
    engine.registerTask('record', async (_input, ctx) => {
      executed.push(ctx.stepId);
      return null;
    });
    await engine.register(chain('hand-off-chain', 20));
    engine.startWorker({ concurrency: 1, pollMs: 60_000 });
    try {
      const handle = await engine.start('hand-off-chain');
      await handle.result({ timeoutMs: 10_000 });
      assert.deepEqual(
        executed,
        Array.from({ length: 20 }, (_, i) => `s${i}`),
      );
      const history = await engine.history(handle.id);
      assert.equal(history.filter((e) => e.type === 'StepCompleted').length, 20, 'each result recorded once');
      assert.ok(claims() <= 5, `${claims()} claim queries for a 20-step chain`);
    } finally {
      await engine.close();
    }
  });

  test('a run does not keep the worker while another run waits for it', async () => {
    const { store } = await countingStore();
    const engine = await createEngine({ store });
    const executed: string[] = [];
    engine.registerTask('record', async (_input, ctx) => {
      executed.push(`${ctx.runId}:${ctx.stepId}`);
      return null;
    });
    await engine.register(chain('hand-off-fair', 4));
    engine.startWorker({ concurrency: 1, pollMs: 60_000 });
    try {
      const [a, b] = await Promise.all([
        engine.start('hand-off-fair', {}, { runId: 'a' }),
        engine.start('hand-off-fair', {}, { runId: 'b' }),
      ]);
      await Promise.all([a.result({ timeoutMs: 10_000 }), b.result({ timeoutMs: 10_000 })]);
      assert.equal(executed.length, 8);
      const firstOf = (run: string) => executed.indexOf(`${run}:s0`);
      const lastOf = (run: string) => executed.indexOf(`${run}:s3`);
      assert.ok(
        firstOf('b') < lastOf('a') && firstOf('a') < lastOf('b'),
        `both runs make progress together: ${executed.join(' ')}`,
      );
    } finally {
      await engine.close();
    }
  });
});
