/**
 * Results of one run that queue behind its commit in flight are committed together
 * (RunManager.mutate): one commit completing every lease, and when one lease is gone,
 * each result on its own — the rest recorded, the stale one refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordStepResult } from '../../src/core/signals.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { loadWorkflowText } from '../../src/language/load.ts';
import { RunManager } from '../../src/runtime/run-manager.ts';
import { openStore } from '../../src/store/open.ts';
import type { ClaimedTask, CommitRequest, Store } from '../../src/store/types.ts';
import { systemClock } from '../../src/util/clock.ts';
import { RunBuilder, scheduled } from '../store/run-builder.ts';

const WORKFLOW = `name: wf
version: 1.0.0
steps:
  - { id: a, task: t }
  - { id: b, task: t }
  - { id: c, task: t }
  - { id: d, task: t, needs: [a, b, c] }
  - { id: e, task: t, needs: [b] }
  - { id: f, task: t, needs: [c] }
`;

/** A run whose steps a, b and c are leased to w1, and a run manager whose commit of a's result waits for `release`. */
async function leasedRun(store: Store) {
  const registry = createBuiltinRegistry();
  const runs = new RunManager(store, registry, systemClock);
  runs.compile(loadWorkflowText(WORKFLOW, { registry }), 'hash-wf');
  const at = Date.now();
  const { write } = RunBuilder.start('r1', { at }, [
    scheduled('a', at),
    scheduled('b', at),
    scheduled('c', at),
  ]);
  await store.commit({ writes: [write] });
  const tasks = await store.claimTasks({ owner: 'w1', limit: 3, leaseMs: 60_000 });
  const byPath = (path: string) => tasks.find((task) => task.path === path) as ClaimedTask;
  const requests: CommitRequest[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const commit = store.commit.bind(store);
  let held = false;
  store.commit = async (request) => {
    requests.push(request);
    // a's result commit is the one in flight while the others queue behind it.
    if (!held && request.complete?.taskId === byPath('a').id) {
      held = true;
      await gate;
    }
    return commit(request);
  };
  // As the task runner records a step's result: whole, or without its scheduling pass.
  const record = (task: ClaimedTask, output: number) =>
    runs.mutate(
      'r1',
      (wf, state, now) => recordStepResult(wf, state, task.path, task.attempt, { ok: true, output }, now),
      {
        complete: { taskId: task.id, owner: task.owner, token: task.token },
        record: (wf, state, now) =>
          recordStepResult(wf, state, task.path, task.attempt, { ok: true, output }, now, 'record'),
      },
    );
  return { runs, byPath, requests, release, record };
}

test('results queued behind a commit in flight are committed together', async () => {
  const store = await openStore('memory');
  try {
    const { byPath, requests, release, record } = await leasedRun(store);
    const first = record(byPath('a'), 1);
    const queued = [record(byPath('b'), 2), record(byPath('c'), 3)];
    release();
    const results = await Promise.all([first, ...queued]);
    assert.deepEqual(
      results.map((result) => result.ok),
      [true, true, true],
    );
    assert.equal(requests.length, 2, 'a alone, then b and c in one commit');
    assert.equal(requests[1].complete?.taskId, byPath('b').id);
    assert.deepEqual(
      requests[1].completeMore?.map((lease) => lease.taskId),
      [byPath('c').id],
    );
    const events = await store.loadEvents('r1');
    const batched = events.slice(
      events.findIndex((event) => event.type === 'StepCompleted' && event.path === 'b'),
    );
    // b and c recorded, then one scheduling pass for both: it starts what each unblocked.
    assert.deepEqual(
      batched.map((event) => [event.type, 'path' in event && event.path]),
      [
        ['StepCompleted', 'b'],
        ['StepCompleted', 'c'],
        ['StepScheduled', 'd'],
        ['StepScheduled', 'e'],
        ['StepScheduled', 'f'],
      ],
    );
    for (const path of ['a', 'b', 'c']) assert.equal(await store.getTask(byPath(path).id), undefined);
  } finally {
    await store.close();
  }
});

test('a queued result whose lease is gone is refused alone; the others are recorded', async () => {
  const store = await openStore('memory');
  try {
    const { byPath, requests, release, record } = await leasedRun(store);
    const first = record(byPath('a'), 1);
    const queued = [record(byPath('b'), 2), record(byPath('c'), 3)];
    // b's lease ends before its result is committed (expired and taken over, say).
    const b = byPath('b');
    await store.commit({ writes: [], complete: { taskId: b.id, owner: b.owner, token: b.token } });
    release();
    const results = await Promise.all([first, ...queued]);
    assert.deepEqual(results, [results[0], { ok: false, reason: 'stale-lease' }, results[2]]);
    assert.ok(results[0].ok && results[2].ok);
    assert.ok(
      requests.some((request) => request.completeMore?.length),
      'b and c were tried together first',
    );
    const completed = (await store.loadEvents('r1'))
      .filter((event) => event.type === 'StepCompleted')
      .map((event) => 'path' in event && event.path);
    assert.deepEqual(completed, ['a', 'c']);
  } finally {
    await store.close();
  }
});
