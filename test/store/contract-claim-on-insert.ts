/**
 * Contract: claim-on-insert (CommitRequest.claim). A store may lease nothing (the option
 * is a hint), but whatever it leases must be exactly what a claim would have given:
 * newly inserted, due, unheld tasks matching the filters, within the limit, leased to the
 * committing worker and to nobody else. Both built-in stores lease, and are held to it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { queueLimitKey } from '../../src/store/limits.ts';
import type { ClaimedTask } from '../../src/store/types.ts';
import { type MakeStore, withStore } from './contract-support.ts';
import { completed, RunBuilder, scheduled } from './run-builder.ts';

const LEASE = 60_000;

export function claimOnInsertContract(makeStore: MakeStore, leases: boolean): void {
  describe('claim-on-insert', () => {
    test('due, unheld, matching new tasks are leased to the committer up to the limit', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [
          scheduled('a', at - 5),
          scheduled('gpu', at - 5, { queue: 'gpu' }),
          scheduled('later', at + LEASE),
          scheduled('d', at - 1),
          scheduled('e', at - 1),
        ]);
        const claim = { owner: 'w1', limit: 2, leaseMs: LEASE, queues: ['default'] };
        const before = await store.now();
        const result = await store.commit({ writes: [write], claim });
        const after = await store.now();
        assert.equal(result.ok, true);
        const claimed: ClaimedTask[] = (result.ok && result.claimed) || [];
        if (leases)
          assert.deepEqual(
            claimed.map((t) => t.path),
            ['a', 'd'],
          );
        assert.ok(claimed.length <= 2);
        for (const task of claimed) {
          const spec = write.tasks.insert.find((t) => t.id === task.id);
          assert.ok(
            spec && spec.queue === 'default' && spec.runAt <= after,
            `${task.id} should not be leased`,
          );
          assert.deepEqual(
            { ...task, owner: undefined, token: undefined, leaseExpiresAt: undefined },
            {
              ...spec,
              owner: undefined,
              token: undefined,
              leaseExpiresAt: undefined,
            },
          );
          assert.equal(task.owner, 'w1');
          assert.ok(task.leaseExpiresAt >= before + LEASE && task.leaseExpiresAt <= after + LEASE);
          const stored = await store.getTask(task.id);
          assert.deepEqual([stored?.owner, stored?.token], ['w1', task.token]);
        }
        const others = await store.claimTasks({ owner: 'w2', limit: 10, leaseMs: LEASE });
        const leased = new Set(claimed.map((t) => t.id));
        assert.deepEqual(
          others.map((t) => t.path).sort(),
          ['a', 'd', 'e', 'gpu'].filter((path) => !leased.has(builder.taskId('step', path, 1))).sort(),
        );
        for (const task of claimed) {
          assert.deepEqual(
            await store.commit({ writes: [], complete: { taskId: task.id, owner: 'w1', token: task.token } }),
            { ok: true },
          );
        }
      }));

    for (const gpuLimited of [false, true])
      test(`a step result leases its due follow-ups up to the limit, in order${gpuLimited ? ', none of a limited queue' : ''}`, () =>
        withStore(makeStore, async (store) => {
          if (gpuLimited) await store.setConcurrencyLimit(queueLimitKey('gpu'), 5);
          const at = await store.now();
          const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at - 5)]);
          assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
          const [task] = await store.claimTasks({ owner: 'w1', limit: 1, leaseMs: LEASE });
          const follow = builder.next(
            [
              completed('a', 'done'),
              scheduled('gpu', at - 5, { queue: 'gpu' }),
              scheduled('later', at + LEASE),
              scheduled('b', at - 1),
              scheduled('c', at - 1),
              scheduled('d', at - 1),
            ],
            at,
          );
          const result = await store.commit({
            writes: [follow],
            complete: { taskId: task.id, owner: 'w1', token: task.token },
            claim: { owner: 'w1', limit: 2, leaseMs: LEASE },
          });
          assert.equal(result.ok, true);
          const claimed: ClaimedTask[] = (result.ok && result.claimed) || [];
          if (leases && !gpuLimited)
            assert.deepEqual(
              claimed.map((t) => [t.path, t.owner]),
              [
                ['gpu', 'w1'],
                ['b', 'w1'],
              ],
              'the first two due ones in order, not the one due later',
            );
          // Under a limit, leasing on insert would take a slot without counting: a store leases
          // none of the limited queue's tasks (it may lease the others, or nothing).
          if (gpuLimited) assert.ok(claimed.every((t) => t.path !== 'gpu' && t.owner === 'w1'));
          assert.ok(claimed.length <= 2);
          const others = await store.claimTasks({ owner: 'w2', limit: 10, leaseMs: LEASE });
          const leased = new Set(claimed.map((t) => t.path));
          assert.deepEqual(
            others.map((t) => t.path).sort(),
            ['b', 'c', 'd', 'gpu'].filter((path) => !leased.has(path)).sort(),
            'the rest are left to claims, except the one due later',
          );
          assert.equal(await store.getTask(task.id), undefined, 'the completed task is gone');
          if (gpuLimited) await store.setConcurrencyLimit(queueLimitKey('gpu'), undefined);
        }));

    test('held tasks, tasks that already exist and failed commits lease nothing', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const claim = { owner: 'w1', limit: 10, leaseMs: LEASE };
        const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at - 1)]);
        assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
        const again = builder.next([scheduled('a', at - 1)], at);
        assert.deepEqual(await store.commit({ writes: [again], claim }), { ok: true });
        assert.equal((await store.getTask(builder.taskId('step', 'a', 1)))?.owner, undefined);
        await store.commit({ writes: [builder.next([{ type: 'RunPaused' }], at)] });
        const whilePaused = builder.next([scheduled('b', at - 1)], at);
        assert.deepEqual(await store.commit({ writes: [whilePaused], claim }), { ok: true });
        assert.equal((await store.getTask(builder.taskId('step', 'b', 1)))?.owner, undefined);
        const stale = RunBuilder.start('r1', { at }, [scheduled('c', at - 1)]).write;
        assert.deepEqual(await store.commit({ writes: [stale], claim }), {
          ok: false,
          reason: 'conflict',
          runId: 'r1',
        });
        assert.equal(await store.getTask(builder.taskId('step', 'c', 1)), undefined);
      }));
  });
}
