/**
 * Contract: cluster-wide concurrency limits. A limit caps the step tasks leased at once per
 * queue (`queue:<name>`) or per workflow (`workflow:<name>`), whoever claims them; expired
 * leases do not count, priority still orders what is claimed, claim-on-insert never
 * leases a limited task, and concurrent claimers on separate connections cannot overshoot.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { queueLimitKey, workflowLimitKey } from '../../src/store/limits.ts';
import type { ClaimedTask, ClaimOptions, RunWrite, Store } from '../../src/store/types.ts';
import { type MakeStore, sleep, withStore } from './contract-support.ts';
import { RunBuilder, scheduled } from './run-builder.ts';

const LONG_LEASE = 60_000;

function claim(store: Store, owner: string, limit = 50, extra: Partial<ClaimOptions> = {}) {
  return store.claimTasks({ owner, limit, leaseMs: LONG_LEASE, ...extra });
}

function paths(tasks: readonly ClaimedTask[]): string[] {
  return tasks.map((t) => `${t.runId}/${t.path}`).sort();
}

function complete(store: Store, task: ClaimedTask) {
  return store.commit({ writes: [], complete: { taskId: task.id, owner: task.owner, token: task.token } });
}

/** A run of `workflow` with due step tasks `names` (in `queue`), optionally with priorities. */
async function startRun(
  store: Store,
  id: string,
  names: string[],
  options: { workflow?: string; queue?: string; priorities?: Record<string, number> } = {},
): Promise<RunWrite> {
  const at = await store.now();
  const { write } = RunBuilder.start(
    id,
    { at, workflow: options.workflow },
    names.map((name, i) => scheduled(name, at - 100 + i, { queue: options.queue })),
  );
  write.tasks.insert = write.tasks.insert.map((t) => ({
    ...t,
    priority: options.priorities?.[t.path] ?? t.priority,
  }));
  assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
  return write;
}

export function limitsContract(makeStore: MakeStore): void {
  describe('concurrency limits', () => {
    test('limits are set, replaced, listed and removed; bad keys and values are refused', () =>
      withStore(makeStore, async (store) => {
        assert.deepEqual(await store.listConcurrencyLimits(), []);
        await store.setConcurrencyLimit(queueLimitKey('gpu'), 2);
        await store.setConcurrencyLimit(workflowLimitKey('report'), 5);
        await store.setConcurrencyLimit(queueLimitKey('gpu'), 3);
        assert.deepEqual(await store.listConcurrencyLimits(), [
          { key: 'queue:gpu', limit: 3 },
          { key: 'workflow:report', limit: 5 },
        ]);
        await store.setConcurrencyLimit(queueLimitKey('gpu'), undefined);
        await store.setConcurrencyLimit(queueLimitKey('never-set'), undefined);
        assert.deepEqual(await store.listConcurrencyLimits(), [{ key: 'workflow:report', limit: 5 }]);
        const invalid = (error: unknown) =>
          error instanceof BatonError && error.code === 'INVALID_CONCURRENCY_LIMIT';
        await assert.rejects(store.setConcurrencyLimit('gpu', 1), invalid);
        await assert.rejects(store.setConcurrencyLimit('queue:', 1), invalid);
        await assert.rejects(store.setConcurrencyLimit(queueLimitKey('gpu'), 0), invalid);
        await assert.rejects(store.setConcurrencyLimit(queueLimitKey('gpu'), 1.5), invalid);
      }));

    test('a queue limit caps leased step tasks of that queue; completing one frees a slot', () =>
      withStore(makeStore, async (store) => {
        await store.setConcurrencyLimit(queueLimitKey('gpu'), 2);
        await startRun(store, 'g', ['g1', 'g2', 'g3', 'g4'], { queue: 'gpu' });
        await startRun(store, 'd', ['d1', 'd2', 'd3']);
        const first = await claim(store, 'w1');
        assert.deepEqual(paths(first), ['d/d1', 'd/d2', 'd/d3', 'g/g1', 'g/g2']);
        assert.deepEqual(await claim(store, 'w2'), [], 'the gpu queue is full');
        const g1 = first.find((t) => t.path === 'g1')!;
        assert.deepEqual(await complete(store, g1), { ok: true });
        assert.deepEqual(paths(await claim(store, 'w2')), ['g/g3']);
        assert.deepEqual(await claim(store, 'w3'), []);
        await store.setConcurrencyLimit(queueLimitKey('gpu'), undefined);
        assert.deepEqual(
          paths(await claim(store, 'w3')),
          ['g/g4'],
          'without the limit the rest is claimable',
        );
      }));

    test('a workflow limit spans all runs of that workflow, and a task counts against both its limits', () =>
      withStore(makeStore, async (store) => {
        await store.setConcurrencyLimit(workflowLimitKey('report'), 3);
        await startRun(store, 'r1', ['a', 'b'], { workflow: 'report' });
        await startRun(store, 'r2', ['a', 'b'], { workflow: 'report' });
        await startRun(store, 'o1', ['a', 'b'], { workflow: 'other' });
        const claimed = await claim(store, 'w1');
        assert.equal(claimed.filter((t) => t.runId.startsWith('r')).length, 3);
        assert.deepEqual(paths(claimed.filter((t) => t.runId === 'o1')), ['o1/a', 'o1/b']);
        assert.deepEqual(await claim(store, 'w2'), []);

        await store.setConcurrencyLimit(queueLimitKey('gpu'), 1);
        await startRun(store, 'r3', ['gpu-a'], { workflow: 'report', queue: 'gpu' });
        await startRun(store, 'o2', ['gpu-a', 'gpu-b'], { workflow: 'other', queue: 'gpu' });
        assert.deepEqual(paths(await claim(store, 'w2')), ['o2/gpu-a'], 'report is full; gpu takes one');
        assert.deepEqual(await claim(store, 'w2'), []);
      }));

    test('priority orders limited claims; timers and other kinds are never limited', () =>
      withStore(makeStore, async (store) => {
        await store.setConcurrencyLimit(queueLimitKey('default'), 1);
        const at = await store.now();
        await startRun(store, 'p', ['low', 'high', 'mid'], { priorities: { high: 9, mid: 5 } });
        const { write } = RunBuilder.start('t', { at }, [
          { type: 'TimerScheduled', path: 'nap', fireAt: at - 1 },
        ]);
        await store.commit({ writes: [write] });
        assert.deepEqual(paths(await claim(store, 'w', 10)), ['p/high', 't/nap']);
        assert.deepEqual(await claim(store, 'w', 10), []);
        await store.setConcurrencyLimit(queueLimitKey('default'), 2);
        assert.deepEqual(paths(await claim(store, 'w', 10)), ['p/mid']);
      }));

    test('expired leases do not count against a limit', () =>
      withStore(makeStore, async (store) => {
        await store.setConcurrencyLimit(queueLimitKey('default'), 1);
        await startRun(store, 'x', ['a', 'b']);
        const [first] = await store.claimTasks({ owner: 'w1', limit: 5, leaseMs: 200 });
        assert.equal(first.path, 'a');
        assert.deepEqual(await claim(store, 'w2'), []);
        await sleep(350);
        const [again] = await claim(store, 'w2');
        assert.equal(again?.path, 'a', 'the expired task itself is due first and takes the free slot');
        assert.deepEqual(await claim(store, 'w3'), []);
      }));

    test('claim-on-insert leaves limited tasks to ordinary claims', () =>
      withStore(makeStore, async (store) => {
        await store.setConcurrencyLimit(queueLimitKey('gpu'), 5);
        const at = await store.now();
        const { write } = RunBuilder.start('c', { at }, [
          scheduled('plain', at - 1),
          scheduled('gpu', at - 1, { queue: 'gpu' }),
        ]);
        const result = await store.commit({
          writes: [write],
          claim: { owner: 'w1', limit: 5, leaseMs: LONG_LEASE },
        });
        assert.equal(result.ok, true);
        const leased = (result.ok && result.claimed) || [];
        assert.ok(!leased.some((t) => t.path === 'gpu'), 'the limited task was not leased on insert');
        assert.equal((await store.getTask(write.tasks.insert[1].id))?.owner, undefined);

        await store.setConcurrencyLimit(workflowLimitKey('limited-wf'), 5);
        const second = RunBuilder.start('d', { at, workflow: 'limited-wf' }, [scheduled('s', at - 1)]).write;
        const other = await store.commit({
          writes: [second],
          claim: { owner: 'w1', limit: 5, leaseMs: LONG_LEASE },
        });
        assert.ok(other.ok && !other.claimed?.length, 'a limited workflow is not leased on insert');
        assert.deepEqual(
          paths(await claim(store, 'w2', 10, { queues: ['gpu', 'default'] })).filter((p) => p !== 'c/plain'),
          ['c/gpu', 'd/s'],
        );
      }));

    test('concurrent claimers on separate connections never lease more than the limit', () =>
      withStore(makeStore, async (store, handle) => {
        await store.setConcurrencyLimit(queueLimitKey('scarce'), 3);
        await startRun(
          store,
          'many',
          Array.from({ length: 40 }, (_, i) => `s${i}`),
          { queue: 'scarce' },
        );
        const stores: Store[] = [store];
        for (let i = 1; i < 4; i++) stores.push((await handle.connect?.()) ?? store);
        const leased = new Map<string, ClaimedTask>();
        try {
          for (let round = 0; round < 5; round++) {
            const results = await Promise.all(stores.map((s, i) => claim(s, `w${i}`, 5)));
            for (const task of results.flat()) leased.set(task.id, task);
            assert.ok(leased.size <= 3, `round ${round}: ${leased.size} leased under a limit of 3`);
            if (round === 2) {
              // Free every slot at once; the next round refills exactly three.
              for (const task of leased.values()) assert.deepEqual(await complete(store, task), { ok: true });
              leased.clear();
            }
          }
        } finally {
          for (const s of stores) if (s !== store) await s.close();
        }
        assert.equal(leased.size, 3);
      }));
  });
}
