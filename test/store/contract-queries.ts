/** Contract: reading runs back — listing with filters and pagination, pending approvals. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Store } from '../../src/store/types.ts';
import { type MakeStore, withStore } from './contract-support.ts';
import { approvalRequested, completed, RunBuilder, scheduled } from './run-builder.ts';

export function queryContract(makeStore: MakeStore): void {
  describe('queries', () => {
    test('listRuns filters by status, workflow, parent and tenant, newest first, with keyset pagination', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const make = async (
          id: string,
          options: { workflow?: string; tenant?: string; parent?: string },
          done = false,
        ) => {
          const parent = options.parent ? { runId: options.parent, path: 'child' } : undefined;
          const start = RunBuilder.start(
            id,
            { at, workflow: options.workflow, tenant: options.tenant, parent },
            [scheduled('s', at)],
          );
          await store.commit({ writes: [start.write] });
          if (done)
            await store.commit({
              writes: [start.builder.next([completed('s', 1), { type: 'RunCompleted', output: 1 }], at)],
            });
        };
        await make('r1', { workflow: 'alpha', tenant: 't1' });
        await make('r2', { workflow: 'beta', tenant: 't2' }, true);
        await make('r3', { workflow: 'alpha', parent: 'r1' });
        await make('r4', { workflow: 'alpha', tenant: 't1' }, true);
        await make('r5', { workflow: 'beta', parent: 'r1', tenant: 't1' });
        const ids = async (filter?: Parameters<Store['listRuns']>[0]) =>
          (await store.listRuns(filter)).map((r) => r.id);
        assert.deepEqual(await ids(), ['r5', 'r4', 'r3', 'r2', 'r1']);
        assert.deepEqual(await ids({ status: ['completed'] }), ['r4', 'r2']);
        assert.deepEqual(await ids({ status: ['completed', 'running'] }), ['r5', 'r4', 'r3', 'r2', 'r1']);
        assert.deepEqual(await ids({ workflow: 'alpha' }), ['r4', 'r3', 'r1']);
        assert.deepEqual(await ids({ parentRunId: 'r1' }), ['r5', 'r3']);
        assert.deepEqual(await ids({ tenant: 't1' }), ['r5', 'r4', 'r1']);
        assert.deepEqual(await ids({ tenant: 't1', workflow: 'alpha', status: ['running'] }), ['r1']);
        assert.deepEqual(await ids({ limit: 2 }), ['r5', 'r4']);
        assert.deepEqual(await ids({ before: 'r4', limit: 2 }), ['r3', 'r2']);
        assert.deepEqual(await ids({ before: 'r2' }), ['r1']);
        assert.deepEqual(await ids({ before: 'r1' }), []);
        assert.deepEqual(
          (await store.listRuns({ workflow: 'beta', status: ['completed'] }))[0],
          await store.getRun('r2'),
        );
      }));

    test('pending approvals list waiting approval steps with their run until decided', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const one = RunBuilder.start('r1', { at }, [approvalRequested('review', 'Ship it?', at + 60_000)]);
        const two = RunBuilder.start('r2', { at }, [approvalRequested('check', 'Sure?')]);
        const timer = RunBuilder.start('r3', { at }, [
          { type: 'TimerScheduled', path: 'nap', fireAt: at + 1000 },
        ]);
        for (const { write } of [one, two, timer]) await store.commit({ writes: [write] });
        const listed = await store.listPendingApprovals();
        assert.deepEqual(listed.map((p) => [p.run.id, p.step.path, p.step.waitingFor]).sort(), [
          ['r1', 'review', 'approval'],
          ['r2', 'check', 'approval'],
        ]);
        assert.deepEqual(
          listed.find((p) => p.run.id === 'r1'),
          { run: await store.getRun('r1'), step: (await store.getSteps('r1'))[0] },
        );
        assert.deepEqual(
          (await store.listPendingApprovals({ runId: 'r2' })).map((p) => p.step.path),
          ['check'],
        );
        assert.equal((await store.listPendingApprovals({ limit: 1 })).length, 1);
        assert.ok(await store.getTask(one.builder.taskId('approval-timeout', 'review')));
        const decided = one.builder.next(
          [
            { type: 'ApprovalDecided', path: 'review', decision: 'approved', by: 'ann' },
            completed('review', true),
          ],
          at + 5,
        );
        assert.deepEqual(await store.commit({ writes: [decided] }), { ok: true });
        assert.deepEqual(
          (await store.listPendingApprovals()).map((p) => p.run.id),
          ['r2'],
        );
        assert.equal(await store.getTask(one.builder.taskId('approval-timeout', 'review')), undefined);
      }));
  });
}
