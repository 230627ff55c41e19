/**
 * Contract: leases. Real short leases on the store's own clock (PostgreSQL measures them on
 * the database server), so these tests sleep a few hundred milliseconds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClaimedTask, Lease, Store } from '../../src/store/types.ts';
import { type MakeStore, sleep, withStore } from './contract-support.ts';
import { completed, RunBuilder, scheduled } from './run-builder.ts';

const SHORT_LEASE = 200;
const LONG_LEASE = 60_000;

function leaseOf(task: ClaimedTask): Lease {
  return { taskId: task.id, owner: task.owner, token: task.token };
}

/** A run with one due step task, claimed by `owner`. */
async function claimedStep(store: Store, owner: string, leaseMs: number) {
  const at = await store.now();
  const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('work', at - 1)]);
  assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
  const claimed = await store.claimTasks({ owner, limit: 1, leaseMs });
  assert.equal(claimed.length, 1);
  return { builder, task: claimed[0], at };
}

async function history(store: Store) {
  return {
    run: await store.getRun('r1'),
    events: await store.loadEvents('r1'),
    steps: await store.getSteps('r1'),
  };
}

export function leaseContract(makeStore: MakeStore): void {
  describe('leases', () => {
    test('a claimed task is not claimed again before its lease expires, and is after', () =>
      withStore(makeStore, async (store) => {
        const { task } = await claimedStep(store, 'w1', SHORT_LEASE);
        assert.deepEqual(await store.claimTasks({ owner: 'w2', limit: 10, leaseMs: SHORT_LEASE }), []);
        await sleep(SHORT_LEASE + 150);
        const [again] = await store.claimTasks({ owner: 'w2', limit: 10, leaseMs: LONG_LEASE });
        assert.equal(again?.id, task.id);
        assert.equal(again.owner, 'w2');
        assert.ok(again.token > task.token, 'a new claim gets a new fencing token');
        assert.deepEqual(await store.renewLeases([leaseOf(task)], LONG_LEASE), [task.id]);
      }));

    test('renewLeases extends held leases and reports lost ones', () =>
      withStore(makeStore, async (store) => {
        const { builder, task, at } = await claimedStep(store, 'w1', SHORT_LEASE);
        const extra = builder.next([scheduled('gone', at - 1)], at);
        await store.commit({ writes: [extra] });
        const [gone] = await store.claimTasks({ owner: 'w1', limit: 1, leaseMs: LONG_LEASE });
        await store.commit({ writes: [], complete: leaseOf(gone) });
        const lost = await store.renewLeases(
          [
            leaseOf(task),
            { ...leaseOf(task), token: task.token + 10 },
            { ...leaseOf(task), owner: 'w9' },
            leaseOf(gone),
            { taskId: 'nope', owner: 'w1', token: 1 },
          ],
          LONG_LEASE,
        );
        assert.deepEqual(lost.sort(), [task.id, task.id, gone.id, 'nope'].sort());
        await sleep(SHORT_LEASE + 150);
        assert.deepEqual(
          await store.claimTasks({ owner: 'w2', limit: 10, leaseMs: LONG_LEASE }),
          [],
          'the renewed lease still holds',
        );
        assert.deepEqual(await store.renewLeases([], LONG_LEASE), []);
      }));

    test('completion is fenced: a stale lease writes nothing, the current one completes the task', () =>
      withStore(makeStore, async (store) => {
        const { builder, task, at } = await claimedStep(store, 'w1', LONG_LEASE);
        const write = builder.fork().next([completed('work', 'done')], at + 1);
        const before = await history(store);
        for (const stale of [
          { ...leaseOf(task), token: task.token + 1 },
          { ...leaseOf(task), owner: 'w2' },
          { ...leaseOf(task), taskId: 'nope' },
        ]) {
          assert.deepEqual(await store.commit({ writes: [write], complete: stale }), {
            ok: false,
            reason: 'stale-lease',
            taskId: stale.taskId,
          });
          assert.deepEqual(await history(store), before);
          assert.equal((await store.getTask(task.id))?.owner, 'w1');
        }
        assert.deepEqual(await store.commit({ writes: [write], complete: leaseOf(task) }), { ok: true });
        assert.equal(await store.getTask(task.id), undefined);
        assert.deepEqual((await store.loadEvents('r1')).at(-1)?.type, 'StepCompleted');
        assert.deepEqual(await store.commit({ writes: [], complete: leaseOf(task) }), {
          ok: false,
          reason: 'stale-lease',
          taskId: task.id,
        });
      }));

    test('several leases complete together with one write, or none does', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [
          scheduled('a', at - 1),
          scheduled('b', at - 1),
          scheduled('c', at - 1),
        ]);
        await store.commit({ writes: [write] });
        const tasks = await store.claimTasks({ owner: 'w1', limit: 3, leaseMs: LONG_LEASE });
        assert.equal(tasks.length, 3);
        const [a, b, c] = ['a', 'b', 'c'].map((path) => tasks.find((task) => task.path === path)!);
        const results = builder.fork().next([completed('a', 1), completed('b', 2)], at + 1);
        const before = await history(store);
        const stale = { ...leaseOf(b), token: b.token + 1 };
        assert.deepEqual(
          await store.commit({ writes: [results], complete: leaseOf(a), completeMore: [stale] }),
          { ok: false, reason: 'stale-lease', taskId: b.id },
        );
        assert.deepEqual(await store.commit({ writes: [], complete: leaseOf(c), completeMore: [stale] }), {
          ok: false,
          reason: 'stale-lease',
          taskId: b.id,
        });
        assert.deepEqual(await history(store), before);
        for (const task of [a, b, c]) assert.equal((await store.getTask(task.id))?.owner, 'w1', task.path);

        assert.deepEqual(
          await store.commit({ writes: [results], complete: leaseOf(a), completeMore: [leaseOf(b)] }),
          { ok: true },
        );
        assert.equal(await store.getTask(a.id), undefined);
        assert.equal(await store.getTask(b.id), undefined);
        assert.deepEqual(
          (await store.loadEvents('r1')).slice(-2).map((event) => event.type),
          ['StepCompleted', 'StepCompleted'],
        );
        assert.deepEqual(
          await store.commit({ writes: [], complete: leaseOf(c), completeMore: [leaseOf(a)] }),
          { ok: false, reason: 'stale-lease', taskId: a.id },
        );
        assert.equal((await store.getTask(c.id))?.owner, 'w1', 'c stays leased when a is gone');
      }));

    test('a stale lease is reported even when the write also conflicts', () =>
      withStore(makeStore, async (store) => {
        const { builder, task, at } = await claimedStep(store, 'w1', LONG_LEASE);
        const [staleA, staleB] = [builder.fork(), builder.fork()];
        await store.commit({ writes: [builder.next([{ type: 'RunPaused' }], at)] });
        const result = await store.commit({
          writes: [staleA.next([completed('work', 1)], at)],
          complete: { ...leaseOf(task), token: 0 },
        });
        assert.deepEqual(result, { ok: false, reason: 'stale-lease', taskId: task.id });
        const conflict = await store.commit({
          writes: [staleB.next([completed('work', 1)], at)],
          complete: leaseOf(task),
        });
        assert.deepEqual(conflict, { ok: false, reason: 'conflict', runId: 'r1' });
        assert.ok(await store.getTask(task.id), 'a conflicting commit does not complete the task');
      }));

    test('verify requires the lease without completing the task', () =>
      withStore(makeStore, async (store) => {
        const { builder, task, at } = await claimedStep(store, 'w1', LONG_LEASE);
        const progress = builder
          .fork()
          .next([{ type: 'StepProgress', path: 'work', attempt: 1, key: 'page', value: 3 }], at);
        const before = await history(store);
        assert.deepEqual(
          await store.commit({ writes: [progress], verify: { ...leaseOf(task), token: task.token + 1 } }),
          {
            ok: false,
            reason: 'stale-lease',
            taskId: task.id,
          },
        );
        assert.deepEqual(await history(store), before);
        assert.deepEqual(await store.commit({ writes: [progress], verify: leaseOf(task) }), { ok: true });
        const kept = await store.getTask(task.id);
        assert.deepEqual([kept?.owner, kept?.token], ['w1', task.token]);
        assert.equal((await store.loadEvents('r1')).at(-1)?.type, 'StepProgress');
      }));

    test('releaseTask makes a task claimable at once; a stale release does nothing', () =>
      withStore(makeStore, async (store) => {
        const { task } = await claimedStep(store, 'w1', LONG_LEASE);
        await store.releaseTask({ ...leaseOf(task), token: task.token + 5 });
        await store.releaseTask({ ...leaseOf(task), owner: 'w2' });
        assert.deepEqual(await store.claimTasks({ owner: 'w2', limit: 1, leaseMs: LONG_LEASE }), []);
        await store.releaseTask(leaseOf(task));
        assert.equal((await store.getTask(task.id))?.owner, undefined);
        const [again] = await store.claimTasks({ owner: 'w2', limit: 1, leaseMs: LONG_LEASE });
        assert.equal(again?.id, task.id);
        assert.ok(again.token > task.token);
        assert.deepEqual(await store.commit({ writes: [], complete: leaseOf(task) }), {
          ok: false,
          reason: 'stale-lease',
          taskId: task.id,
        });
      }));
  });
}
