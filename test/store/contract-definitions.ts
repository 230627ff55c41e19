/** Contract: lifecycle (init, now) and versioned workflow definitions. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type MakeStore, withStore } from './contract-support.ts';
import { definition, RunBuilder } from './run-builder.ts';

export function definitionContract(makeStore: MakeStore): void {
  describe('lifecycle', () => {
    test('init is idempotent and keeps existing data', () =>
      withStore(makeStore, async (store) => {
        await store.saveDefinition(definition('greet', '1.0.0', 'a', 1));
        await store.init();
        await store.init();
        assert.equal((await store.getDefinition('greet-1.0.0-a'))?.name, 'greet');
      }));

    test('now() is the lease clock in epoch milliseconds', () =>
      withStore(makeStore, async (store) => {
        const now = await store.now();
        assert.ok(Number.isInteger(now), `now() returned ${now}`);
        assert.ok(Math.abs(now - Date.now()) < 60_000, `store clock ${now} is far from ${Date.now()}`);
      }));
  });

  describe('definitions', () => {
    test('save and get round-trip the definition, its source and creation time', () =>
      withStore(makeStore, async (store) => {
        const saved = definition('greet', '1.0.0', 'a', 1_700_000_000_123);
        await store.saveDefinition(saved);
        assert.deepEqual(await store.getDefinition(saved.hash), saved);
        assert.equal(await store.getDefinition('no-such-hash'), undefined);
      }));

    test('a definition without source comes back without source', () =>
      withStore(makeStore, async (store) => {
        const saved = { ...definition('bare', '1.0.0', 'a', 5), source: undefined };
        await store.saveDefinition(saved);
        assert.equal((await store.getDefinition(saved.hash))?.source, undefined);
      }));

    test('latestDefinition follows registration order, optionally per version label', () =>
      withStore(makeStore, async (store) => {
        const v1 = definition('greet', '1.0.0', 'a', 10);
        const v2 = definition('greet', '2.0.0', 'b', 20);
        const v1b = definition('greet', '1.0.0', 'c', 30);
        await store.saveDefinition(v1);
        await store.saveDefinition(v2);
        assert.equal((await store.latestDefinition('greet'))?.hash, v2.hash);
        await store.saveDefinition(v1b);
        assert.equal((await store.latestDefinition('greet'))?.hash, v1b.hash);
        assert.equal((await store.latestDefinition('greet', '2.0.0'))?.hash, v2.hash);
        assert.equal((await store.latestDefinition('greet', '1.0.0'))?.hash, v1b.hash);
        assert.equal(await store.latestDefinition('greet', '9.9.9'), undefined);
        assert.equal(await store.latestDefinition('unknown'), undefined);
      }));

    test('registering a known definition again makes it the latest and keeps its creation time', () =>
      withStore(makeStore, async (store) => {
        const first = definition('greet', '1.0.0', 'a', 10);
        const second = definition('greet', '1.0.0', 'b', 20);
        await store.saveDefinition(first);
        await store.saveDefinition(second);
        await store.saveDefinition({ ...first, createdAt: 99 });
        const latest = await store.latestDefinition('greet');
        assert.equal(latest?.hash, first.hash);
        assert.equal(latest?.createdAt, 10);
        assert.equal((await store.listDefinitions()).length, 2);
      }));

    test('listDefinitions lists summaries by name, then registration order', () =>
      withStore(makeStore, async (store) => {
        await store.saveDefinition(definition('zeta', '1.0.0', 'a', 1));
        await store.saveDefinition(definition('alpha', '2.0.0', 'b', 2));
        await store.saveDefinition(definition('alpha', '1.0.0', 'c', 3));
        assert.deepEqual(await store.listDefinitions(), [
          { hash: 'alpha-2.0.0-b', name: 'alpha', version: '2.0.0', createdAt: 2 },
          { hash: 'alpha-1.0.0-c', name: 'alpha', version: '1.0.0', createdAt: 3 },
          { hash: 'zeta-1.0.0-a', name: 'zeta', version: '1.0.0', createdAt: 1 },
        ]);
      }));
  });

  describe('rejected commits', () => {
    test('are recorded and listed in order, all or per run', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { write } = RunBuilder.start('r1', { at });
        assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
        const first = { taskId: 't1', owner: 'w1', token: 3, runId: 'r1', reason: 'lease lost', at };
        const second = { taskId: 't2', owner: 'w2', token: 1, runId: 'r2', reason: 'stale', at: at + 1 };
        const third = { taskId: 't3', owner: 'w1', token: 7, runId: 'r1', reason: 'again', at: at + 2 };
        assert.deepEqual(await store.listRejectedCommits(), []);
        await store.recordRejectedCommit(first);
        await store.recordRejectedCommit(second);
        await store.recordRejectedCommit(third);
        assert.deepEqual(await store.listRejectedCommits(), [first, second, third]);
        assert.deepEqual(await store.listRejectedCommits('r1'), [first, third]);
        assert.deepEqual(await store.listRejectedCommits('nobody'), []);
      }));
  });
}
