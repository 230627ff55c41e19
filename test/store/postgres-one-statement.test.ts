/**
 * The PostgreSQL store commits a worker's step result in one statement
 * (src/store/postgres/commit-one-statement.ts). These tests pin what that must not change:
 * a lease taken over while the statement waits for the task row writes nothing (fencing),
 * and the step results of a chain are committed with one round trip each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { taskId } from '../../src/core/tasks.ts';
import { workflowLimitKey } from '../../src/store/limits.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { MAX_INLINE_ROWS } from '../../src/store/postgres/row-sources.ts';
import { freshSchema, POSTGRES_TEST_URL, postgresSkipReason } from '../helpers/postgres.ts';
import { completed, RunBuilder, scheduled } from './run-builder.ts';

const skip = await postgresSkipReason();
const LEASE = 60_000;

describe('PostgreSQL one-statement commit', { skip }, () => {
  const { url, schema, drop } = freshSchema('onestmt');
  let store: PostgresStore;
  before(async () => {
    store = new PostgresStore({ url });
    await store.init();
  });
  after(async () => {
    await store?.close();
    await drop();
  });

  async function claimedRun(id: string) {
    const at = await store.now();
    const { builder, write } = RunBuilder.start(id, { at }, [scheduled('a', at - 1)]);
    assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
    const [task] = await store.claimTasks({ owner: 'w1', limit: 1, leaseMs: LEASE, kinds: ['step'] });
    assert.equal(task?.runId, id);
    return { builder, lease: { taskId: task.id, owner: 'w1', token: task.token } };
  }

  test('a lease taken over while the commit waits for the task row: nothing is written, stale-lease', async () => {
    const { builder, lease } = await claimedRun('raced');
    const thief = new Client({ connectionString: POSTGRES_TEST_URL });
    await thief.connect();
    try {
      // Another worker re-claims the task and holds the row until it commits.
      await thief.query('BEGIN');
      await thief.query(
        `UPDATE "${schema}".tasks SET lease_owner = 'w2', lease_token = lease_token + 1 WHERE id = $1`,
        [lease.taskId],
      );
      const at = await store.now();
      const commit = store.commit({
        writes: [builder.next([completed('a', 'done'), scheduled('b', at - 1)], at)],
        complete: lease,
        claim: { owner: 'w1', limit: 1, leaseMs: LEASE, kinds: ['step'] },
      });
      // The commit's snapshot still shows w1's lease; let it reach the task row and wait there.
      await waitForLockWait();
      await thief.query('COMMIT');
      assert.deepEqual(await commit, { ok: false, reason: 'stale-lease', taskId: lease.taskId });
    } finally {
      await thief.end();
    }
    assert.deepEqual(
      (await store.loadEvents('raced')).map((e) => e.type),
      ['RunStarted', 'StepScheduled'],
    );
    assert.equal((await store.getRun('raced'))?.seq, 2);
    assert.equal((await store.getTask(lease.taskId))?.owner, 'w2');
  });

  test('a chain step result is one statement', async () => {
    const { builder, lease } = await claimedRun('chain');
    const at = await store.now();
    const seen = recordStatements();
    try {
      const result = await store.commit({
        writes: [builder.next([completed('a', 'done'), scheduled('b', at - 1)], at)],
        complete: lease,
        claim: { owner: 'w1', limit: 1, leaseMs: LEASE, kinds: ['step'] },
      });
      assert.ok(result.ok);
      assert.deepEqual(
        result.claimed?.map((t) => [t.path, t.owner]),
        [['b', 'w1']],
      );
    } finally {
      seen.stop();
    }
    assert.deepEqual(seen.statements, ['WITH'], 'one statement, no BEGIN/COMMIT');
    assert.deepEqual(
      (await store.loadEvents('chain')).map((e) => e.type),
      ['RunStarted', 'StepScheduled', 'StepCompleted', 'StepScheduled'],
    );
    assert.deepEqual(
      (await store.getSteps('chain')).map((s) => [s.path, s.status]),
      [
        ['a', 'completed'],
        ['b', 'scheduled'],
      ],
    );
  });

  test('results of one run under several leases are one statement, and a lease taken meanwhile undoes it', async () => {
    const at = await store.now();
    const { builder, write } = RunBuilder.start('batch', { at }, [
      scheduled('a', at - 1),
      scheduled('b', at - 1),
      scheduled('c', at - 1),
      scheduled('d', at - 1),
    ]);
    assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
    const tasks = await store.claimTasks({ owner: 'w1', limit: 4, leaseMs: LEASE, kinds: ['step'] });
    const leaseOf = (path: string) => {
      const task = tasks.find((t) => t.path === path);
      assert.ok(task, path);
      return { taskId: task.id, owner: 'w1', token: task.token };
    };
    const seen = recordStatements();
    try {
      const result = await store.commit({
        writes: [builder.next([completed('a', 1), completed('b', 2), completed('c', 3)], at)],
        complete: leaseOf('a'),
        completeMore: [leaseOf('b'), leaseOf('c')],
      });
      assert.deepEqual(result, { ok: true });
    } finally {
      seen.stop();
    }
    assert.deepEqual(seen.statements, ['WITH'], 'one statement, no BEGIN/COMMIT');
    for (const path of ['a', 'b', 'c'])
      assert.equal(await store.getTask(leaseOf(path).taskId), undefined, path);
    // d's task was completed meanwhile (and a's already is): nothing of this batch is written.
    await store.commit({ writes: [], complete: leaseOf('d') });
    const events = await store.loadEvents('batch');
    const stale = await store.commit({
      writes: [builder.fork().next([completed('d', 4)], at)],
      complete: leaseOf('d'),
      completeMore: [leaseOf('a')],
    });
    assert.deepEqual(stale, { ok: false, reason: 'stale-lease', taskId: leaseOf('d').taskId });
    assert.deepEqual(await store.loadEvents('batch'), events);
  });

  for (const followUps of [MAX_INLINE_ROWS - 1, MAX_INLINE_ROWS, MAX_INLINE_ROWS + 1]) {
    // 3: every batch inline; 4: five events and five step rows as documents, four tasks inline; 5: all documents.
    test(`a step result with ${followUps} follow-ups reads back exactly, inline or as documents`, async () => {
      const id = `rows-${followUps}`;
      const { builder, lease } = await claimedRun(id);
      const at = await store.now();
      const paths = Array.from({ length: followUps }, (_, i) => `next${i}`);
      const output = { text: 'nul\u0000 and \ud800', none: null, n: 1.5 };
      const write = builder.next(
        [completed('a', output), ...paths.map((path) => scheduled(path, at - 1))],
        at,
      );
      const seen = recordStatements();
      let result: Awaited<ReturnType<PostgresStore['commit']>>;
      try {
        result = await store.commit({
          writes: [write],
          complete: lease,
          claim: { owner: 'w1', limit: 2, leaseMs: LEASE, kinds: ['step'] },
        });
      } finally {
        seen.stop();
      }
      assert.ok(result.ok);
      assert.deepEqual(seen.statements, ['WITH'], 'one statement');
      assert.deepEqual(
        result.claimed?.map((t) => t.path),
        paths.slice(0, 2),
      );
      const events = await store.loadEvents(id);
      assert.deepEqual(
        events.slice(-write.events.length),
        JSON.parse(JSON.stringify(write.events)),
        'the history keeps every byte',
      );
      const steps = await store.getSteps(id);
      assert.deepEqual(
        steps.map((step) => [step.path, step.status]),
        [['a', 'completed'], ...paths.map((path) => [path, 'scheduled'])],
      );
      assert.deepEqual(steps[0].output, { text: 'nul\ufffd and \ufffd', none: null, n: 1.5 });
      for (const path of paths) {
        const task = await store.getTask(taskId(id, 'step', path, 1));
        assert.equal(task?.path, path);
      }
      assert.equal(
        (await store.claimTasks({ owner: 'w2', limit: 10, leaseMs: LEASE, kinds: ['step'] })).length,
        followUps - 2,
        'the follow-ups not leased on insert are claimable',
      );
    });
  }

  test('a follow-up whose task exists already leaves that task alone, as an insert would', async () => {
    const at = await store.now();
    const later = at + 600_000;
    const { builder, write } = RunBuilder.start('exists', { at }, [
      scheduled('a', at - 1),
      scheduled('b', later),
    ]);
    assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
    const [task] = await store.claimTasks({ owner: 'w1', limit: 1, leaseMs: LEASE, kinds: ['step'] });
    assert.equal(task.path, 'a');
    const result = await store.commit({
      writes: [builder.next([completed('a', 'done'), scheduled('b', at - 1)], at)],
      complete: { taskId: task.id, owner: 'w1', token: task.token },
      claim: { owner: 'w1', limit: 1, leaseMs: LEASE, kinds: ['step'] },
    });
    assert.deepEqual(result, { ok: true }, 'recorded; the existing task is not leased on insert');
    assert.equal(await store.getTask(task.id), undefined, 'the completed task is gone');
    const existing = await store.getTask(taskId('exists', 'step', 'b', 1));
    assert.equal(existing?.runAt, later, 'the task that existed keeps its due time');
    assert.equal(existing?.owner, undefined);
    assert.deepEqual(
      (await store.loadEvents('exists')).map((e) => e.type),
      ['RunStarted', 'StepScheduled', 'StepScheduled', 'StepCompleted', 'StepScheduled'],
    );
  });

  test('after a follow-up was left to locked claims, the next results of that workflow are one statement again', async () => {
    const limited = new PostgresStore({ url });
    await limited.init();
    try {
      const at = await limited.now();
      const claim = { owner: 'w1', limit: 1, leaseMs: LEASE, kinds: ['step' as const] };
      const { builder, write } = RunBuilder.start('forecast', { at, workflow: 'limited-wf' }, [
        scheduled('a', at - 1),
      ]);
      assert.deepEqual(await limited.commit({ writes: [write] }), { ok: true });
      await limited.setConcurrencyLimit(workflowLimitKey('limited-wf'), 5);
      let [task] = await limited.claimTasks({ ...claim, limit: 1 });
      for (const [path, next] of [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'd'],
      ]) {
        const seen = recordStatements();
        let result: Awaited<ReturnType<PostgresStore['commit']>>;
        try {
          result = await limited.commit({
            writes: [builder.next([completed(path, 'done'), scheduled(next, at - 1)], at)],
            complete: { taskId: task.id, owner: 'w1', token: task.token },
            claim,
          });
        } finally {
          seen.stop();
        }
        assert.deepEqual(result, { ok: true }, 'a limited follow-up is left to locked claims');
        if (path !== 'a') assert.deepEqual(seen.statements, ['WITH'], `the result of ${path}: one statement`);
        [task] = await limited.claimTasks(claim);
        assert.equal(task?.path, next);
      }
    } finally {
      await limited.close();
    }
  });

  test("the result that finishes a run is one statement and clears the run's other tasks", async () => {
    const at = await store.now();
    const { builder, write } = RunBuilder.start('finishing', { at }, [
      scheduled('a', at - 1),
      { type: 'TimerScheduled', path: 'nap', fireAt: at + 600_000 },
    ]);
    assert.deepEqual(await store.commit({ writes: [write] }), { ok: true });
    const [task] = await store.claimTasks({ owner: 'w1', limit: 1, leaseMs: LEASE, kinds: ['step'] });
    const lease = { taskId: task.id, owner: 'w1', token: task.token };
    const timer = taskId('finishing', 'timer', 'nap');
    assert.equal((await store.getTask(timer))?.kind, 'timer');
    const finish = builder.next([completed('a', 'done'), { type: 'RunCompleted', output: 'done' }], at);
    assert.equal(finish.tasks.removeAll, true);
    const seen = recordStatements();
    try {
      assert.deepEqual(await store.commit({ writes: [finish], complete: lease }), { ok: true });
    } finally {
      seen.stop();
    }
    assert.deepEqual(seen.statements, ['WITH'], 'one statement, no BEGIN/COMMIT');
    assert.equal((await store.getRun('finishing'))?.status, 'completed');
    assert.equal(await store.getTask(lease.taskId), undefined);
    assert.equal(await store.getTask(timer), undefined, 'the timer is cleared');
  });

  test('creating a run is one statement; a second create with the same key is told which run has it', async () => {
    const at = await store.now();
    const seen = recordStatements();
    let first: Awaited<ReturnType<PostgresStore['commit']>>;
    try {
      first = await store.commit({
        writes: [RunBuilder.start('created', { at, idempotencyKey: 'k1' }, [scheduled('a', at - 1)]).write],
      });
    } finally {
      seen.stop();
    }
    assert.deepEqual(first, { ok: true });
    assert.deepEqual(seen.statements, ['WITH'], 'one statement, no BEGIN/COMMIT');
    assert.deepEqual(
      (await store.loadEvents('created')).map((e) => e.type),
      ['RunStarted', 'StepScheduled'],
    );
    assert.equal((await store.getTask('created|step|a|1'))?.runId, 'created');
    // The losing create carries a step task and asks to lease it: nothing of it may be written,
    // or workers would run steps of a run that does not exist.
    assert.deepEqual(
      await store.commit({
        writes: [RunBuilder.start('again', { at, idempotencyKey: 'k1' }, [scheduled('a', at - 1)]).write],
        claim: { owner: 'w1', limit: 4, leaseMs: LEASE, kinds: ['step'] },
      }),
      { ok: false, reason: 'duplicate-idempotency-key', runId: 'created' },
    );
    assert.equal(await store.getTask('again|step|a|1'), undefined, 'no task of the run that lost');
    assert.deepEqual(await store.loadEvents('again'), []);
    assert.deepEqual(await store.getSteps('again'), []);
    assert.deepEqual(await store.commit({ writes: [RunBuilder.start('created', { at }).write] }), {
      ok: false,
      reason: 'conflict',
      runId: 'created',
    });
    assert.equal(await store.getRun('again'), undefined);
  });
});

/** Records the first word of every statement sent through a pg Client until stopped. */
function recordStatements(): { statements: string[]; stop(): void } {
  const statements: string[] = [];
  const original = Client.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    if (text) statements.push(text.trim().split(/\s+/)[0]);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
  return {
    statements,
    stop: () => {
      Client.prototype.query = original;
    },
  };
}

/** Until some backend of this database waits for a row lock. */
async function waitForLockWait(): Promise<void> {
  const admin = new Client({ connectionString: POSTGRES_TEST_URL });
  await admin.connect();
  try {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the commit never waited for the task row');
  } finally {
    await admin.end();
  }
}
