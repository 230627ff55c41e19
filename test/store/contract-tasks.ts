/** Contract: the task table — what is claimable, in which order, holds, removals, wakeups, concurrency. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClaimedTask, RunWrite, Store } from '../../src/store/types.ts';
import { type MakeStore, withStore } from './contract-support.ts';
import { completed, RunBuilder, scheduled } from './run-builder.ts';

const LONG_LEASE = 60_000;

function claimIds(tasks: ClaimedTask[]): string[] {
  return tasks.map((t) => t.id);
}

function withPriorities(write: RunWrite, priorities: Record<string, number>): RunWrite {
  write.tasks.insert = write.tasks.insert.map((t) => ({ ...t, priority: priorities[t.path] ?? t.priority }));
  return write;
}

export function taskContract(makeStore: MakeStore, carriesHistory: boolean): void {
  describe('claiming tasks', () => {
    test('only due tasks are claimed, with owner, token and lease expiry', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [
          scheduled('due', at - 10),
          scheduled('later', at + LONG_LEASE),
        ]);
        await store.commit({ writes: [write] });
        const before = await store.now();
        const claimed = await store.claimTasks({ owner: 'w1', limit: 10, leaseMs: 5_000 });
        const after = await store.now();
        assert.deepEqual(claimIds(claimed), [builder.taskId('step', 'due', 1)]);
        const [task] = claimed;
        assert.equal(task.owner, 'w1');
        assert.ok(task.token > 0);
        assert.ok(
          task.leaseExpiresAt >= before + 5_000 && task.leaseExpiresAt <= after + 5_000,
          `lease expires at ${task.leaseExpiresAt}`,
        );
        assert.deepEqual(
          { ...task, owner: undefined, token: undefined, leaseExpiresAt: undefined, history: undefined },
          {
            ...write.tasks.insert.find((t) => t.path === 'due'),
            owner: undefined,
            token: undefined,
            leaseExpiresAt: undefined,
            history: undefined,
          },
        );
        assert.deepEqual(await store.getTask(task.id), {
          ...write.tasks.insert[0],
          owner: 'w1',
          token: task.token,
          held: false,
        });
      }));

    test('a claimed task that carries its run’s history carries all of it, on one task per run', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const first = RunBuilder.start('r1', { at }, [scheduled('a', at - 10), scheduled('b', at - 10)]);
        const second = RunBuilder.start('r2', { at }, [scheduled('c', at - 10)]);
        await store.commit({ writes: [first.write] });
        await store.commit({ writes: [second.write] });
        const claimed = await store.claimTasks({ owner: 'w1', limit: 10, leaseMs: 5_000 });
        assert.equal(claimed.length, 3);
        for (const runId of ['r1', 'r2']) {
          const carriers = claimed.filter((task) => task.runId === runId && task.history);
          assert.equal(
            carriers.length,
            carriesHistory ? 1 : carriers.length,
            `tasks of ${runId} with history`,
          );
          assert.ok(carriers.length <= 1, `at most one task of ${runId} carries its history`);
          for (const task of carriers) assert.deepEqual(task.history, await store.loadEvents(runId));
        }
      }));

    test('a claim that names a run the worker holds carries only the events after what it holds', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [
          scheduled('a', at - 10),
          scheduled('b', at - 10),
        ]);
        await store.commit({ writes: [write] });
        const held = builder.seq;
        const claim = (knownRuns: Map<string, number>) =>
          store.claimTasks({ owner: 'w1', limit: 1, leaseMs: LONG_LEASE, knownRuns });
        // Held up to its last event: nothing to ship.
        const [first] = await claim(new Map([['r1', held]]));
        assert.equal(first.runId, 'r1');
        assert.equal(first.history, undefined);
        // Events written since: only those travel, and say what they follow.
        await store.commit({ writes: [builder.next([scheduled('c', at - 10)], at)] });
        const [second] = await claim(new Map([['r1', held]]));
        if (carriesHistory) {
          assert.deepEqual(second.history, await store.loadEvents('r1', held));
          assert.equal(second.history?.length, 1);
          assert.equal(second.historyAfter, held);
        } else assert.equal(second.history, undefined);
        // A run the claim does not name comes whole.
        const [third] = await claim(new Map([['other', 1]]));
        if (carriesHistory) {
          assert.deepEqual(third.history, await store.loadEvents('r1'));
          assert.equal(third.historyAfter, undefined);
        }
      }));

    test('claims respect the limit, then priority, then due time', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { write } = RunBuilder.start('r1', { at }, [
          scheduled('old-low', at - 300),
          scheduled('new-high', at - 100),
          scheduled('old-high', at - 200),
          scheduled('mid', at - 400),
        ]);
        await store.commit({ writes: [withPriorities(write, { 'new-high': 5, 'old-high': 5, mid: 1 })] });
        const paths = async (limit: number) =>
          (await store.claimTasks({ owner: 'w', limit, leaseMs: LONG_LEASE })).map((t) => t.path).sort();
        assert.deepEqual(await paths(1), ['old-high']);
        assert.deepEqual(await paths(2), ['mid', 'new-high']);
        assert.deepEqual(await paths(3), ['old-low']);
        assert.deepEqual(await store.claimTasks({ owner: 'w', limit: 3, leaseMs: LONG_LEASE }), []);
      }));

    test('claims can be limited to queues and to kinds', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { write } = RunBuilder.start('r1', { at }, [
          scheduled('gpu-step', at - 1, { queue: 'gpu' }),
          scheduled('plain-step', at - 1),
          { type: 'TimerScheduled', path: 'nap', fireAt: at - 1 },
        ]);
        await store.commit({ writes: [write] });
        const gpu = await store.claimTasks({
          owner: 'w',
          limit: 10,
          leaseMs: LONG_LEASE,
          queues: ['gpu', 'unused'],
        });
        assert.deepEqual(
          gpu.map((t) => [t.path, t.queue]),
          [['gpu-step', 'gpu']],
        );
        const gpuTimers = await store.claimTasks({
          owner: 'w',
          limit: 10,
          leaseMs: LONG_LEASE,
          queues: ['gpu'],
          kinds: ['timer'],
        });
        assert.deepEqual(gpuTimers, [], 'both filters apply: the timer is on the default queue');
        const timers = await store.claimTasks({
          owner: 'w',
          limit: 10,
          leaseMs: LONG_LEASE,
          queues: ['default'],
          kinds: ['timer'],
        });
        assert.deepEqual(
          timers.map((t) => [t.path, t.kind]),
          [['nap', 'timer']],
        );
        const rest = await store.claimTasks({
          owner: 'w',
          limit: 10,
          leaseMs: LONG_LEASE,
          queues: [],
          kinds: [],
        });
        assert.deepEqual(
          rest.map((t) => t.path),
          ['plain-step'],
        );
      }));

    test('re-inserting a task that exists leaves it and its lease alone', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at - 1)]);
        await store.commit({ writes: [write] });
        const [claimed] = await store.claimTasks({ owner: 'w1', limit: 1, leaseMs: LONG_LEASE });
        const again = builder.next([scheduled('a', at + 999)], at);
        assert.equal(again.tasks.insert[0].id, claimed.id);
        assert.deepEqual(await store.commit({ writes: [again] }), { ok: true });
        const task = await store.getTask(claimed.id);
        assert.deepEqual([task?.owner, task?.token, task?.runAt], ['w1', claimed.token, claimed.runAt]);
      }));
  });

  describe('holding, removing and waking', () => {
    test('a paused run holds its step tasks (also those scheduled while paused) until resumed', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [
          scheduled('a', at - 1),
          { type: 'TimerScheduled', path: 'nap', fireAt: at - 1 },
        ]);
        await store.commit({ writes: [write] });
        await store.commit({ writes: [builder.next([{ type: 'RunPaused', by: 'ops' }], at)] });
        assert.equal((await store.getRun('r1'))?.status, 'paused');
        const late = builder.next([scheduled('b', at - 1)], at);
        assert.equal(late.tasks.hold, undefined);
        await store.commit({ writes: [late] });
        assert.equal((await store.getTask(builder.taskId('step', 'a', 1)))?.held, true);
        assert.equal((await store.getTask(builder.taskId('step', 'b', 1)))?.held, true);
        assert.equal((await store.getTask(builder.taskId('timer', 'nap')))?.held, false);
        const whilePaused = await store.claimTasks({ owner: 'w', limit: 10, leaseMs: LONG_LEASE });
        assert.deepEqual(
          whilePaused.map((t) => t.kind),
          ['timer'],
        );
        await store.commit({ writes: [builder.next([{ type: 'RunResumed', by: 'ops' }], at)] });
        const resumed = await store.claimTasks({ owner: 'w', limit: 10, leaseMs: LONG_LEASE });
        assert.deepEqual(resumed.map((t) => t.path).sort(), ['a', 'b']);
        assert.equal((await store.getTask(builder.taskId('step', 'b', 1)))?.held, false);
      }));

    test('tasks made obsolete are removed, and an outcome removes all of the run but not its parent notice', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const parent = RunBuilder.start('parent', { at }, [
          { type: 'TimerScheduled', path: 'p-nap', fireAt: at + 50_000 },
        ]);
        await store.commit({ writes: [parent.write] });
        const child = RunBuilder.start('child', { at, parent: { runId: 'parent', path: 'sub' } }, [
          scheduled('a', at - 1),
          scheduled('b', at + 1_000),
          { type: 'TimerScheduled', path: 'c', fireAt: at + 2_000 },
        ]);
        await store.commit({ writes: [child.write] });
        const cancel = child.builder.next([{ type: 'StepCancelled', path: 'b', reason: 'not needed' }], at);
        assert.deepEqual(cancel.tasks.remove, [
          child.builder.taskId('step', 'b', 1),
          child.builder.taskId('timer', 'b'),
        ]);
        await store.commit({ writes: [cancel] });
        assert.equal(await store.getTask(child.builder.taskId('step', 'b', 1)), undefined);
        assert.ok(await store.getTask(child.builder.taskId('step', 'a', 1)));
        const finish = child.builder.next([completed('a', 1), { type: 'RunCompleted', output: 1 }], at);
        assert.equal(finish.tasks.removeAll, true);
        await store.commit({ writes: [finish] });
        assert.equal(await store.getTask(child.builder.taskId('step', 'a', 1)), undefined);
        assert.equal(await store.getTask(child.builder.taskId('timer', 'c')), undefined);
        assert.equal((await store.getTask(parent.builder.taskId('child-done', 'sub')))?.runId, 'parent');
        assert.ok(await store.getTask(parent.builder.taskId('timer', 'p-nap')));
      }));

    test('nextWakeup is the earliest claimable time among unheld tasks, counting leases', () =>
      withStore(makeStore, async (store) => {
        assert.equal(await store.nextWakeup(), undefined);
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [
          scheduled('a', at - 10),
          scheduled('b', at + 1_000),
          { type: 'TimerScheduled', path: 'nap', fireAt: at + 5_000 },
        ]);
        await store.commit({ writes: [write] });
        assert.equal(await store.nextWakeup(), at - 10);
        const [claimed] = await store.claimTasks({ owner: 'w', limit: 1, leaseMs: 3_000 });
        assert.equal(claimed.path, 'a');
        assert.equal(await store.nextWakeup(), at + 1_000);
        await store.commit({ writes: [builder.next([{ type: 'RunPaused' }], at)] });
        assert.equal(await store.nextWakeup(), at + 5_000);
        await store.commit({ writes: [builder.next([{ type: 'RunResumed' }], at)] });
        await store.commit({
          writes: [],
          complete: { taskId: claimed.id, owner: 'w', token: claimed.token },
        });
        assert.equal(await store.nextWakeup(), at + 1_000);
      }));
  });

  describe('concurrency', () => {
    test('concurrent claimers never get the same task: 4 loops over 500 tasks claim each exactly once', () =>
      withStore(makeStore, async (store, handle) => {
        const at = await store.now();
        const expected = new Set<string>();
        for (let r = 0; r < 10; r++) {
          const steps = Array.from({ length: 50 }, (_, i) => scheduled(`s${i}`, at - 1 - i));
          const { write } = RunBuilder.start(`run-${r}`, { at }, steps);
          for (const task of write.tasks.insert) expected.add(task.id);
          await store.commit({ writes: [write] });
        }
        const stores: Store[] = [store];
        for (let i = 1; i < 4; i++) stores.push((await handle.connect?.()) ?? store);
        const claims = new Map<string, string[]>();
        const loop = async (claimer: Store, owner: string) => {
          for (;;) {
            const tasks = await claimer.claimTasks({ owner, limit: 7, leaseMs: LONG_LEASE });
            if (tasks.length === 0) return;
            for (const task of tasks) {
              claims.set(task.id, [...(claims.get(task.id) ?? []), owner]);
              assert.deepEqual(
                await claimer.commit({ writes: [], complete: { taskId: task.id, owner, token: task.token } }),
                { ok: true },
              );
            }
          }
        };
        try {
          await Promise.all(stores.map((s, i) => loop(s, `worker-${i}`)));
        } finally {
          for (const s of stores) if (s !== store) await s.close();
        }
        const twice = [...claims].filter(([, owners]) => owners.length > 1);
        assert.deepEqual(twice, []);
        assert.equal(claims.size, expected.size);
        assert.deepEqual(new Set(claims.keys()), expected);
        assert.equal(await store.nextWakeup(), undefined);
      }));
  });
}
