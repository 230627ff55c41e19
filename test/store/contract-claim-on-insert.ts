/**
 * Contract: claim-on-insert (CommitRequest.claim). A store may lease nothing (the option
 * is a hint), but whatever it leases must be exactly what a claim would have given:
 * newly inserted, due, unheld tasks matching the filters, within the limit, leased to the
 * committing worker and to nobody else. Both built-in stores lease, and are held to it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClaimedTask } from '../../src/store/types.ts';
import { type MakeStore, withStore } from './contract-support.ts';
import { RunBuilder, scheduled } from './run-builder.ts';

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
