/** Contract: commits (atomicity, optimistic concurrency, idempotency), history and projections. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { taskId } from '../../src/core/tasks.ts';
import type { Store } from '../../src/store/types.ts';
import { type MakeStore, plain, withStore } from './contract-support.ts';
import { completed, definition, RunBuilder, scheduled } from './run-builder.ts';

async function snapshot(store: Store, runId: string) {
  return {
    run: await store.getRun(runId),
    events: await store.loadEvents(runId),
    steps: await store.getSteps(runId),
  };
}

export function runContract(makeStore: MakeStore, persistsUsage: boolean): void {
  describe('commit', () => {
    test('a create that names its definition as the newest of its name is refused once a newer one is stored', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const v1 = definition('greet', '1.0.0', 'first', at);
        await store.saveDefinition(v1);
        const create = (id: string, latest: { name: string; version?: string; hash: string }) =>
          store.commit({
            writes: [RunBuilder.start(id, { at, workflow: 'greet' }, [scheduled('a', at)]).write],
            latestDefinition: latest,
          });
        assert.deepEqual(await create('r1', { name: 'greet', hash: v1.hash }), { ok: true });
        const v2 = definition('greet', '2.0.0', 'second', at + 1);
        await store.saveDefinition(v2);
        for (const latest of [
          { name: 'greet', hash: v1.hash },
          { name: 'unknown', hash: v1.hash },
        ]) {
          assert.deepEqual(await create('r2', latest), {
            ok: false,
            reason: 'definition-changed',
            name: latest.name,
          });
          assert.deepEqual(await snapshot(store, 'r2'), { run: undefined, events: [], steps: [] });
          assert.equal(await store.getTask(taskId('r2', 'step', 'a', 1)), undefined, 'no task either');
        }
        // The newest of a name and version is checked the same way.
        assert.deepEqual(await create('r3', { name: 'greet', version: '1.0.0', hash: v1.hash }), {
          ok: true,
        });
        assert.deepEqual(await create('r4', { name: 'greet', hash: v2.hash }), { ok: true });
        assert.equal((await store.getRun('r4'))?.status, 'running');
      }));

    test('creating a run stores its events, run row, steps and tasks', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start(
          'r1',
          { at, input: { topic: 'otters' }, tenant: 'acme', timeoutAt: at + 60_000 },
          [scheduled('fetch', at)],
        );
        assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
        assert.deepEqual(await store.loadEvents('r1'), plain(write.events));
        assert.deepEqual(await store.getRun('r1'), write.run);
        assert.equal((await store.getRun('r1'))?.status, 'running');
        assert.deepEqual(await store.getSteps('r1'), write.steps.upsert);
        const task = await store.getTask(builder.taskId('step', 'fetch', 1));
        assert.deepEqual(task, {
          ...write.tasks.insert.find((t) => t.kind === 'step'),
          owner: undefined,
          token: 0,
          held: false,
        });
        assert.equal((await store.getTask(builder.taskId('run-timeout', '')))?.runAt, at + 60_000);
      }));

    test('unknown runs read as absent', () =>
      withStore(makeStore, async (store) => {
        assert.equal(await store.getRun('nope'), undefined);
        assert.deepEqual(await store.loadEvents('nope'), []);
        assert.deepEqual(await store.getSteps('nope'), []);
        assert.equal(await store.findRunByIdempotencyKey('nope'), undefined);
        assert.equal(await store.getTask('nope'), undefined);
      }));

    test('history keeps every value exactly, key order included', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const odd = {
          zeta: 1,
          alpha: [null, true, 0, -1.5, 1e21],
          'ünï 🙂': 'a\u0000b\ud800c',
          nested: { b: { y: 2, x: 1 }, a: '' },
        };
        const { builder, write } = RunBuilder.start('r1', { at, input: { z: 1, a: 2 } }, [
          scheduled('s', at),
        ]);
        await store.commit({ writes: [write] });
        const next = builder.next([completed('s', odd)], at + 1);
        assert.deepEqual(await store.commit({ writes: [next] }), { ok: true });
        const stored = await store.loadEvents('r1');
        assert.equal(JSON.stringify(stored), JSON.stringify([...write.events, ...next.events]));
      }));

    test('scalar and null outputs round-trip through projections', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [
          scheduled('a', at),
          scheduled('b', at),
          scheduled('c', at),
          scheduled('d', at),
        ]);
        await store.commit({ writes: [write] });
        await store.commit({
          writes: [
            builder.next(
              [completed('a', 'text'), completed('b', null), completed('c', 0), completed('d', false)],
              at,
            ),
          ],
        });
        const outputs = Object.fromEntries((await store.getSteps('r1')).map((s) => [s.path, s.output]));
        assert.deepEqual(outputs, { a: 'text', b: null, c: 0, d: false });
      }));

    test('a second commit on the same expected sequence is a conflict and writes nothing', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at)]);
        await store.commit({ writes: [write] });
        const rival = builder.fork();
        const winner = builder.next([completed('a', 'mine'), scheduled('b', at)], at + 1);
        const loser = rival.next([completed('a', 'theirs'), scheduled('c', at)], at + 2);
        assert.deepEqual(await store.commit({ writes: [winner] }), { ok: true });
        const before = await snapshot(store, 'r1');
        assert.deepEqual(await store.commit({ writes: [loser] }), {
          ok: false,
          reason: 'conflict',
          runId: 'r1',
        });
        assert.deepEqual(await snapshot(store, 'r1'), before);
        assert.equal(await store.getTask(rival.taskId('step', 'c', 1)), undefined);
        assert.equal((await store.getSteps('r1')).find((s) => s.path === 'a')?.output, 'mine');
      }));

    test('creating a run whose id exists is a conflict', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        await store.commit({ writes: [RunBuilder.start('r1', { at, workflow: 'one' }).write] });
        const again = RunBuilder.start('r1', { at, workflow: 'two' }).write;
        assert.deepEqual(await store.commit({ writes: [again] }), {
          ok: false,
          reason: 'conflict',
          runId: 'r1',
        });
        assert.equal((await store.getRun('r1'))?.workflowName, 'one');
      }));

    test('a multi-run commit is atomic: one conflicting write leaves no partial effects', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const a = RunBuilder.start('a', { at }, [scheduled('s', at)]);
        await store.commit({ writes: [a.write] });
        const stale = a.builder.fork();
        await store.commit({ writes: [a.builder.next([completed('s', 1)], at)] });
        const before = await snapshot(store, 'a');
        const b = RunBuilder.start('b', { at }, [scheduled('s', at)]);
        const result = await store.commit({
          writes: [b.write, stale.next([completed('s', 2), scheduled('t', at)], at)],
        });
        assert.deepEqual(result, { ok: false, reason: 'conflict', runId: 'a' });
        assert.deepEqual(await snapshot(store, 'b'), { run: undefined, events: [], steps: [] });
        assert.equal(await store.getTask(b.builder.taskId('step', 's', 1)), undefined);
        assert.equal(await store.getTask(stale.taskId('step', 't', 1)), undefined);
        assert.deepEqual(await snapshot(store, 'a'), before);
      }));

    test('a duplicate idempotency key returns the existing run and writes nothing', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        await store.commit({
          writes: [RunBuilder.start('first', { at, idempotencyKey: 'order-42' }, [scheduled('s', at)]).write],
        });
        const dup = RunBuilder.start('second', { at, idempotencyKey: 'order-42' }, [scheduled('s', at)]);
        assert.deepEqual(await store.commit({ writes: [dup.write] }), {
          ok: false,
          reason: 'duplicate-idempotency-key',
          runId: 'first',
        });
        assert.equal(await store.getRun('second'), undefined);
        assert.equal(await store.getTask(dup.builder.taskId('step', 's', 1)), undefined);
        assert.equal((await store.findRunByIdempotencyKey('order-42'))?.id, 'first');
      }));

    test('racing creators with one idempotency key get one run', () =>
      withStore(makeStore, async (store, handle) => {
        const at = await store.now();
        const other = (await handle.connect?.()) ?? store;
        try {
          const writes = ['x', 'y', 'z', 'w'].map(
            (id) => RunBuilder.start(id, { at, idempotencyKey: 'same' }).write,
          );
          const results = await Promise.all(
            writes.map((write, i) => (i % 2 ? other : store).commit({ writes: [write] })),
          );
          const winners = results.filter((r) => r.ok);
          assert.equal(winners.length, 1, JSON.stringify(results));
          const winner = (await store.findRunByIdempotencyKey('same'))?.id;
          for (const result of results)
            if (!result.ok)
              assert.deepEqual(result, { ok: false, reason: 'duplicate-idempotency-key', runId: winner });
          assert.equal((await store.listRuns()).length, 1);
        } finally {
          if (other !== store) await other.close();
        }
      }));
  });

  describe('history and projections', () => {
    const usageTodo = persistsUsage ? undefined : 'this store does not persist metered usage yet';
    test('metered usage of runs and steps is kept in the projections', { todo: usageTodo }, () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('agent', at)]);
        await store.commit({ writes: [write] });
        const usage = {
          calls: 2,
          inputTokens: 1200,
          outputTokens: 300,
          cachedInputTokens: 100,
          costUsd: 0.0123,
        };
        const metered = builder.next(
          [{ type: 'StepProgress', path: 'agent', attempt: 1, key: 'turn-1', value: 'ok', usage }],
          at,
        );
        assert.deepEqual(metered.run.usage, usage, 'the core meters usage on the run row');
        await store.commit({ writes: [metered] });
        assert.deepEqual((await store.getRun('r1'))?.usage, usage);
        assert.deepEqual((await store.getSteps('r1'))[0].usage, usage);
        assert.deepEqual((await store.listRuns())[0].usage, usage);
      }),
    );

    test('loadEvents returns events after a sequence number, in order', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at)]);
        await store.commit({ writes: [write] });
        await store.commit({ writes: [builder.next([completed('a', 1), scheduled('b', at)], at + 5)] });
        assert.deepEqual(
          (await store.loadEvents('r1')).map((e) => e.seq),
          [1, 2, 3, 4],
        );
        assert.deepEqual(
          (await store.loadEvents('r1', 2)).map((e) => [e.seq, e.type]),
          [
            [3, 'StepCompleted'],
            [4, 'StepScheduled'],
          ],
        );
        assert.deepEqual(await store.loadEvents('r1', 4), []);
      }));

    test('histories committed together and interleaved read back whole, per run', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const runs = ['r1', 'r2', 'r3'].map((id) => RunBuilder.start(id, { at }, [scheduled('s0', at)]));
        await store.commit({ writes: runs.map((r) => r.write) });
        for (let i = 0; i < 4; i++) {
          // Each run in its own concurrent commit, so one transaction may hold several.
          await Promise.all(
            runs.map(({ builder }) =>
              store.commit({
                writes: [builder.next([completed(`s${i}`, i), scheduled(`s${i + 1}`, at)], at)],
              }),
            ),
          );
        }
        // A write without events keeps the history's end where it was.
        await store.commit({ writes: [runs[1].builder.next([], at + 1)] });
        await store.commit({ writes: [runs[1].builder.next([completed('s4', 4)], at + 2)] });
        for (const { builder } of runs) {
          const events = await store.loadEvents(builder.id);
          assert.deepEqual(
            events.map((e) => e.seq),
            Array.from({ length: builder.state.seq }, (_, i) => i + 1),
            builder.id,
          );
          assert.equal(events[0].type, 'RunStarted');
          assert.deepEqual(
            (await store.loadEvents(builder.id, 5)).map((e) => e.seq),
            events.slice(5).map((e) => e.seq),
          );
        }
        assert.equal((await store.loadEvents('r2')).at(-1)?.type, 'StepCompleted');
        assert.deepEqual(await store.loadEvents('nobody'), []);
      }));

    test('steps are upserted and removed', () =>
      withStore(makeStore, async (store) => {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('r1', { at }, [
          scheduled('a', at),
          scheduled('b', at + 1),
        ]);
        await store.commit({ writes: [write] });
        assert.deepEqual(
          (await store.getSteps('r1')).map((s) => [s.path, s.status]),
          [
            ['a', 'scheduled'],
            ['b', 'scheduled'],
          ],
        );
        const done = builder.next([completed('a', { n: 1 })], at + 10);
        await store.commit({ writes: [done] });
        const a = (await store.getSteps('r1')).find((s) => s.path === 'a');
        assert.deepEqual(a, done.steps.upsert[0]);
        assert.equal(a?.finishedAt, at + 10);
        const retried = builder.next([{ type: 'RunRetried', paths: ['a'] }], at + 20);
        assert.deepEqual(retried.steps.remove, ['a']);
        await store.commit({ writes: [retried] });
        assert.deepEqual(
          (await store.getSteps('r1')).map((s) => s.path),
          ['b'],
        );
      }));
  });
}
