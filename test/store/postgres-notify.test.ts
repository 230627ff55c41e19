/** PostgreSQL store: LISTEN/NOTIFY wakes workers when tasks become claimable. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { queueLimitKey } from '../../src/store/limits.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { ClaimedTask, CommitResult, TasksAvailable } from '../../src/store/types.ts';
import { adminQuery, dropSchema, freshSchema, postgresSkipReason } from '../helpers/postgres.ts';
import { sleep } from './contract-support.ts';
import { completed, RunBuilder, scheduled } from './run-builder.ts';

const skip = await postgresSkipReason();
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const schema of schemas) await dropSchema(schema);
});

/** A store that records the notices it receives. */
async function listeningStore(label: string, params: Record<string, string> = {}) {
  const { url, schema } = freshSchema(label, params);
  schemas.push(schema);
  const store = new PostgresStore({ url });
  await store.init();
  const notices: TasksAvailable[] = [];
  const unsubscribe = store.onTasksAvailable((notice) => notices.push(notice));
  await store.listening();
  return { store, notices, unsubscribe, url };
}

function claimedBy(result: CommitResult): ClaimedTask[] {
  assert.equal(result.ok, true, JSON.stringify(result));
  return (result.ok && result.claimed) || [];
}

async function waitFor(notices: TasksAvailable[], count: number, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (notices.length < count && Date.now() < deadline) await sleep(10);
  assert.ok(notices.length >= count, `expected ${count} notices, got ${JSON.stringify(notices)}`);
}

describe('PostgreSQL task notifications', { skip }, () => {
  test('a commit that enqueues tasks notifies with the earliest run time and the queues', async () => {
    const { store, notices } = await listeningStore('notify');
    try {
      const at = await store.now();
      const { builder, write } = RunBuilder.start('r1', { at }, [
        scheduled('a', at + 500, { queue: 'gpu' }),
        scheduled('b', at + 100),
      ]);
      await store.commit({ writes: [write] });
      await waitFor(notices, 1);
      assert.equal(notices[0].runAt, at + 100);
      assert.deepEqual(notices[0].queues?.sort(), ['default', 'gpu']);
      await store.commit({
        writes: [builder.next([{ type: 'StepProgress', path: 'a', attempt: 1, key: 'k', value: 1 }], at)],
      });
      const stale = builder.fork();
      await store.commit({ writes: [builder.next([completed('a', 1)], at)] });
      assert.equal((await store.commit({ writes: [stale.next([scheduled('c', at)], at)] })).ok, false);
      await sleep(200);
      assert.equal(notices.length, 1, 'commits without new tasks, and rolled-back ones, stay silent');
    } finally {
      await store.close();
    }
  });

  test('a step result that leases its follow-up is silent; one whose follow-up stays unleased announces it', async () => {
    const { store, notices } = await listeningStore('unleased');
    try {
      const at = await store.now();
      const claim = { owner: 'w', limit: 1, leaseMs: 60_000 };
      const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at - 1)]);
      let [task] = claimedBy(await store.commit({ writes: [write], claim }));
      assert.ok(task, 'the first step is leased on insert');
      const next = async (events: Parameters<RunBuilder['next']>[0], when: number) => {
        const result = await store.commit({
          writes: [builder.next(events, when)],
          complete: { taskId: task.id, owner: task.owner, token: task.token },
          claim,
        });
        assert.equal(result.ok, true);
        return claimedBy(result);
      };
      [task] = await next([completed('a', 1), scheduled('b', at - 1)], at);
      assert.ok(task, 'the follow-up is leased on insert');
      await sleep(150);
      assert.deepEqual(notices, [], 'nothing is left for other workers, so nobody is woken');

      // This worker's clock runs a minute ahead of the database's: the follow-up looks due to
      // the worker, is not due on the database clock, and so is not leased.
      const ahead = at + 60_000;
      const [none] = await next([completed('b', 2), scheduled('c', ahead)], ahead);
      assert.equal(none, undefined);
      await waitFor(notices, 1);
      assert.deepEqual(notices[0], { runAt: ahead, queues: ['default'] });
    } finally {
      await store.close();
    }
  });

  test('a follow-up left to locked claims by a concurrency limit is announced', async () => {
    const { store, notices } = await listeningStore('limited');
    try {
      const at = await store.now();
      const claim = { owner: 'w', limit: 1, leaseMs: 60_000 };
      const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at - 1)]);
      const [task] = claimedBy(await store.commit({ writes: [write], claim }));
      await store.setConcurrencyLimit(queueLimitKey('default'), 5);
      const result = await store.commit({
        writes: [builder.next([completed('a', 1), scheduled('b', at - 1)], at)],
        complete: { taskId: task.id, owner: task.owner, token: task.token },
        claim,
      });
      assert.deepEqual(result, { ok: true });
      await waitFor(notices, 1);
      assert.deepEqual(notices[0], { runAt: at - 1, queues: ['default'] });
      const [claimed] = await store.claimTasks({ owner: 'w2', limit: 1, leaseMs: 60_000 });
      assert.equal(claimed?.path, 'b');
    } finally {
      await store.close();
    }
  });

  test('resuming a paused run and releasing a lease notify too', async () => {
    const { store, notices } = await listeningStore('resume');
    try {
      const at = await store.now();
      const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at - 1)]);
      await store.commit({ writes: [write] });
      await waitFor(notices, 1);
      const [task] = await store.claimTasks({ owner: 'w', limit: 1, leaseMs: 60_000 });
      await store.releaseTask({ taskId: task.id, owner: 'w', token: task.token });
      await waitFor(notices, 2);
      assert.deepEqual(notices[1], { runAt: at - 1, queues: ['default'] });
      await store.commit({ writes: [builder.next([{ type: 'RunPaused' }], at)] });
      await sleep(100);
      assert.equal(notices.length, 2, 'pausing holds work and notifies nobody');
      await store.commit({ writes: [builder.next([{ type: 'RunResumed' }], at)] });
      await waitFor(notices, 3);
    } finally {
      await store.close();
    }
  });

  test('notices of another schema and after unsubscribing are not delivered', async () => {
    const first = await listeningStore('mine');
    const second = await listeningStore('theirs');
    try {
      const at = await second.store.now();
      await second.store.commit({ writes: [RunBuilder.start('r1', { at }, [scheduled('a', at)]).write] });
      await waitFor(second.notices, 1);
      await sleep(100);
      assert.deepEqual(first.notices, []);
      second.unsubscribe();
      await second.store.commit({ writes: [RunBuilder.start('r2', { at }, [scheduled('a', at)]).write] });
      await sleep(200);
      assert.equal(second.notices.length, 1);
    } finally {
      await first.store.close();
      await second.store.close();
    }
  });

  test('the listener reconnects after losing its connection and wakes subscribers once', async () => {
    const appName = `baton-listen-${process.pid}`;
    const { store, notices } = await listeningStore('relisten', { application_name: appName });
    try {
      const killed = await adminQuery(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
        [appName],
      );
      assert.equal(killed.length, 1);
      await waitFor(notices, 1);
      assert.deepEqual(notices[0], {}, 'a reconnect wakes subscribers, since notices may have been missed');
      await store.listening();
      const at = await store.now();
      await store.commit({ writes: [RunBuilder.start('r1', { at }, [scheduled('a', at)]).write] });
      await waitFor(notices, 2);
      assert.equal(notices[1].runAt, at);
    } finally {
      await store.close();
    }
  });
});
