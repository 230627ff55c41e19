/**
 * SQLite group commit: commits requested in the same turn of the event loop share one
 * transaction, yet each stays all-or-nothing. A stale lease, a conflict or an unexpected
 * SQL error in one request must not lose, or half-apply, anything of the others.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Lease, RunWrite } from '../../src/store/types.ts';
import { completed, RunBuilder, scheduled } from './run-builder.ts';

const LEASE = 60_000;

async function withFileStore(work: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-group-'));
  const store = new SqliteStore({ path: join(dir, 'baton.db') });
  await store.init();
  try {
    await work(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A run with step `a` scheduled and claimed by `owner`; returns its builder and lease. */
async function claimedRun(
  store: SqliteStore,
  id: string,
  owner: string,
): Promise<{ run: RunBuilder; lease: Lease }> {
  const at = await store.now();
  const { builder, write } = RunBuilder.start(id, { at }, [scheduled('a', at - 1)]);
  assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
  const claim = { owner, limit: 1, leaseMs: LEASE };
  const [task] = await store.claimTasks({ ...claim, kinds: ['step'] });
  assert.equal(task?.runId, id);
  return { run: builder, lease: { taskId: task.id, owner, token: task.token } };
}

function resultWrite(run: RunBuilder, at: number): RunWrite {
  return run.next([completed('a', 'done'), scheduled('b', at - 1)], at);
}

describe('SQLite group commit', () => {
  test('one batch: the good results commit, a stale lease and a conflict write nothing', () =>
    withFileStore(async (store) => {
      const good = await claimedRun(store, 'good', 'w1');
      const stale = await claimedRun(store, 'stale', 'w1');
      const raced = await claimedRun(store, 'raced', 'w1');
      const at = await store.now();
      // Another writer moves `raced` on before the batch, so its write conflicts.
      const rival = raced.run.fork();
      assert.deepEqual(await store.commit({ writes: [rival.next([{ type: 'RunPaused' }], at)] }), {
        ok: true,
      });
      const results = await Promise.all([
        store.commit({ writes: [resultWrite(good.run, at)], complete: good.lease }),
        store.commit({
          writes: [resultWrite(stale.run, at)],
          complete: { ...stale.lease, token: stale.lease.token + 1 },
        }),
        store.commit({ writes: [resultWrite(raced.run, at)], complete: raced.lease }),
      ]);
      assert.deepEqual(results, [
        { ok: true },
        { ok: false, reason: 'stale-lease', taskId: stale.lease.taskId },
        { ok: false, reason: 'conflict', runId: 'raced' },
      ]);

      assert.deepEqual(
        (await store.loadEvents('good')).map((e) => e.type),
        ['RunStarted', 'StepScheduled', 'StepCompleted', 'StepScheduled'],
      );
      assert.equal(await store.getTask(good.lease.taskId), undefined, 'the completed task is gone');
      assert.ok(await store.getTask(good.run.taskId('step', 'b', 1)), 'the next task exists');

      assert.deepEqual(
        (await store.loadEvents('stale')).map((e) => e.type),
        ['RunStarted', 'StepScheduled'],
      );
      assert.equal((await store.getRun('stale'))?.seq, 2);
      assert.deepEqual(
        (await store.getSteps('stale')).map((s) => [s.path, s.status]),
        [['a', 'scheduled']],
      );

      // The conflicting write completed its lease first; the task must be back exactly as it was.
      const task = await store.getTask(raced.lease.taskId);
      assert.deepEqual([task?.owner, task?.token], ['w1', raced.lease.token]);
      assert.equal(await store.getTask(raced.run.taskId('step', 'b', 1)), undefined);
      assert.deepEqual(
        (await store.loadEvents('raced')).map((e) => e.type),
        ['RunStarted', 'StepScheduled', 'RunPaused'],
      );
      // …and the lease still works for a write decided on fresh history.
      const retried = rival.next([completed('a', 'done')], at);
      assert.deepEqual(await store.commit({ writes: [retried], complete: raced.lease }), { ok: true });
    }));

  test('an unexpected SQL error fails only its own request', () =>
    withFileStore(async (store) => {
      const at = await store.now();
      const first = RunBuilder.start('first', { at }).write;
      const broken = RunBuilder.start('broken', { at }).write;
      // Two events with the same sequence number: the history must stay gapless and unique.
      broken.events.push({ ...broken.events[0] });
      const last = RunBuilder.start('last', { at }).write;
      const results = await Promise.allSettled([
        store.commit({ writes: [first] }),
        store.commit({ writes: [broken] }),
        store.commit({ writes: [last] }),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.equal((await store.getRun('first'))?.seq, 1);
      assert.equal((await store.getRun('last'))?.seq, 1);
      assert.equal(await store.getRun('broken'), undefined);
      assert.deepEqual(await store.loadEvents('broken'), []);
    }));

  test('two processes writing one run in turn keep its history whole', () =>
    withFileStore(async (store) => {
      // A second connection to the same file stands for another process (the CLI approving).
      const other = new SqliteStore({ path: store.path });
      await other.init();
      try {
        const at = await store.now();
        const { builder, write } = RunBuilder.start('shared', { at }, [scheduled('s0', at)]);
        assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
        for (let i = 0; i < 6; i++) {
          const writer = i % 3 === 2 ? other : store;
          const next = builder.next([completed(`s${i}`, i), scheduled(`s${i + 1}`, at)], at);
          assert.deepEqual(await writer.commit({ writes: [next] }), { ok: true }, `write ${i}`);
        }
        for (const reader of [store, other]) {
          assert.deepEqual(
            (await reader.loadEvents('shared')).map((e) => e.seq),
            Array.from({ length: builder.state.seq }, (_, i) => i + 1),
          );
        }
      } finally {
        await other.close();
      }
    }));

  test('claim-on-insert leases the next step to the worker whose result scheduled it', () =>
    withFileStore(async (store) => {
      const { run, lease } = await claimedRun(store, 'chain', 'w1');
      const at = await store.now();
      const result = await store.commit({
        writes: [resultWrite(run, at)],
        complete: lease,
        claim: { owner: 'w1', limit: 1, leaseMs: LEASE, kinds: ['step'] },
      });
      assert.ok(result.ok);
      assert.deepEqual(
        result.claimed?.map((t) => [t.path, t.owner, t.token]),
        [['b', 'w1', 1]],
      );
      assert.deepEqual(await store.claimTasks({ owner: 'w2', limit: 10, leaseMs: LEASE }), []);
    }));

  test('closing the store commits what was already requested', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-group-'));
    const path = join(dir, 'baton.db');
    try {
      const store = new SqliteStore({ path });
      await store.init();
      const at = await store.now();
      const pending = store.commit({ writes: [RunBuilder.start('late', { at }).write] });
      await store.close();
      assert.deepEqual(await pending, { ok: true });
      const reopened = new SqliteStore({ path });
      await reopened.init();
      assert.equal((await reopened.getRun('late'))?.seq, 1);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
