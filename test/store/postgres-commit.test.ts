/**
 * PostgreSQL store: commits racing for real on separate connection pools (what several
 * worker processes do), and the jsonb projection's handling of values jsonb cannot hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { ClaimedTask, Lease } from '../../src/store/types.ts';
import { emptyBatonTables, freshSchema, postgresSkipReason } from '../helpers/postgres.ts';
import { completed, RunBuilder, scheduled } from './run-builder.ts';

const skip = await postgresSkipReason();
// A deadlock would stall its victims for deadlock_timeout before PostgreSQL breaks it; a
// long timeout makes one unmistakable from a slow machine (the race test times commits).
const DEADLOCK_TIMEOUT_MS = 5_000;
const { url, schema, drop } = freshSchema('commit', {
  options: `-c deadlock_timeout=${DEADLOCK_TIMEOUT_MS}`,
});
let one: PostgresStore;
let two: PostgresStore;

before(async () => {
  if (skip) return;
  one = new PostgresStore({ url });
  two = new PostgresStore({ url });
  await Promise.all([one.init(), two.init()]);
});
after(async () => {
  if (skip) return;
  await one.close();
  await two.close();
  await drop();
});

function leaseOf(task: ClaimedTask): Lease {
  return { taskId: task.id, owner: task.owner, token: task.token };
}

describe('PostgreSQL commits', { skip }, () => {
  test('two processes committing on the same sequence number: exactly one wins, every time', async () => {
    await emptyBatonTables(schema);
    const at = await one.now();
    for (let i = 0; i < 25; i++) {
      const { builder, write } = RunBuilder.start(`r${i}`, { at }, [scheduled('a', at)]);
      await one.commit({ writes: [write] });
      const rival = builder.fork();
      const results = await Promise.all([
        one.commit({ writes: [builder.next([completed('a', 'one')], at)] }),
        two.commit({ writes: [rival.next([completed('a', 'two')], at)] }),
      ]);
      assert.deepEqual(results.map((r) => r.ok).sort(), [false, true], JSON.stringify(results));
      assert.deepEqual(
        results.find((r) => !r.ok),
        { ok: false, reason: 'conflict', runId: `r${i}` },
      );
      assert.equal((await one.loadEvents(`r${i}`)).length, 3);
    }
  });

  test("a run's outcome racing a step completion neither deadlocks nor loses the verdict", async () => {
    await emptyBatonTables(schema);
    const at = await one.now();
    for (let i = 0; i < 20; i++) {
      const id = `race${i}`;
      const { builder, write } = RunBuilder.start(id, { at }, [
        scheduled('a', at - 1),
        scheduled('b', at - 1),
      ]);
      await one.commit({ writes: [write] });
      const claimed = await one.claimTasks({ owner: 'w', limit: 2, leaseMs: 60_000 });
      const a = claimed.find((t) => t.path === 'a')!;
      const b = claimed.find((t) => t.path === 'b')!;
      const failing = builder.fork();
      const started = Date.now();
      const [completion, outcome] = await Promise.all([
        one.commit({ writes: [builder.next([completed('a', 1)], at)], complete: leaseOf(a) }),
        two.commit({
          writes: [
            failing.next(
              [
                completed('b', 2),
                { type: 'RunFailed', error: { code: 'X', message: 'x', retryable: false } },
              ],
              at,
            ),
          ],
          complete: leaseOf(b),
        }),
      ]);
      assert.ok(Date.now() - started < DEADLOCK_TIMEOUT_MS / 2, 'no lock wait long enough to be a deadlock');
      if (completion.ok) {
        assert.deepEqual(outcome, { ok: false, reason: 'conflict', runId: id });
        assert.ok(await one.getTask(b.id), 'the losing completion keeps its task');
      } else {
        assert.equal(outcome.ok, true);
        assert.deepEqual(completion, { ok: false, reason: 'stale-lease', taskId: a.id });
        assert.equal((await one.getRun(id))?.status, 'failed');
        assert.equal(await one.getTask(a.id), undefined);
      }
    }
  });

  test('an event whose sequence number is taken is a conflict, and nothing is written', async () => {
    await emptyBatonTables(schema);
    const at = await one.now();
    const { builder, write } = RunBuilder.start('dup', { at }, [scheduled('a', at)]);
    await one.commit({ writes: [write] });
    const bad = builder.next([completed('a', 1), scheduled('b', at)], at);
    bad.events = bad.events.map((event) => ({ ...event, seq: event.seq - 1 }));
    const other = RunBuilder.start('other', { at }, [scheduled('x', at)]).write;
    assert.deepEqual(await one.commit({ writes: [other, bad] }), {
      ok: false,
      reason: 'conflict',
      runId: 'dup',
    });
    assert.equal((await one.loadEvents('dup')).length, 2);
    assert.equal((await one.getRun('dup'))?.seq, 2);
    assert.equal(await one.getRun('other'), undefined);
    assert.equal(await one.getTask('dup|step|b|1'), undefined);
  });

  test('history keeps NUL and lone surrogates exactly; jsonb projections get U+FFFD instead of failing', async () => {
    await emptyBatonTables(schema);
    const at = await one.now();
    const odd = { text: 'a\u0000b', broken: 'x\ud800y', escaped: 'literal \\u0000 stays' };
    const { builder, write } = RunBuilder.start('r1', { at, input: odd }, [scheduled('a', at)]);
    assert.deepEqual(await one.commit({ writes: [write] }), { ok: true });
    assert.deepEqual(await one.commit({ writes: [builder.next([completed('a', odd)], at)] }), { ok: true });
    const events = await one.loadEvents('r1');
    assert.deepEqual(events[0].type === 'RunStarted' && events[0].input, odd);
    assert.deepEqual(events[2].type === 'StepCompleted' && events[2].output, odd);
    const projected = { text: 'a\ufffdb', broken: 'x\ufffdy', escaped: 'literal \\u0000 stays' };
    assert.deepEqual((await one.getRun('r1'))?.input, projected);
    assert.deepEqual((await one.getSteps('r1'))[0].output, projected);
  });
});
