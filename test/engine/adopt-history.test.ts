/**
 * A worker takes a run's state from the history its claim carried: whole, or only the
 * events after what it caches (ClaimOptions.knownRuns) — applied when its cache reaches
 * that far, dropped (the run is read afresh) when it does not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replay } from '../../src/core/state.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { loadWorkflowText } from '../../src/language/load.ts';
import { RunManager } from '../../src/runtime/run-manager.ts';
import { openStore } from '../../src/store/open.ts';
import { systemClock } from '../../src/util/clock.ts';
import { completed, RunBuilder, scheduled } from '../store/run-builder.ts';

test('later events from a claim bring a cached run up to date; a gap drops it from the cache', async () => {
  const store = await openStore('memory');
  try {
    const registry = createBuiltinRegistry();
    const runs = new RunManager(store, registry, systemClock);
    const workflow = 'name: wf\nversion: 1.0.0\nsteps:\n  - { id: a, task: t }\n  - { id: b, task: t }\n';
    runs.compile(loadWorkflowText(workflow, { registry }), 'hash-wf');
    const at = Date.now();
    const { builder, write } = RunBuilder.start('r1', { at }, [scheduled('a', at), scheduled('b', at)]);
    await store.commit({ writes: [write] });
    const whole = await store.loadEvents('r1');
    await runs.adopt('r1', whole);
    const held = runs.cachedSeq('r1');
    assert.equal(held, builder.seq);

    await store.commit({ writes: [builder.next([completed('a', 1)], at)] });
    await store.commit({ writes: [builder.next([completed('b', 2)], at)] });
    const later = await store.loadEvents('r1', held);
    // The claim was read after one of the two was already cached here: both arrive, the new one applies.
    await runs.adopt('r1', later.slice(0, 1), held);
    await runs.adopt('r1', later, held);
    assert.equal(runs.cachedSeq('r1'), builder.seq);
    const { state } = await runs.read('r1');
    assert.deepEqual(state, replay('r1', await store.loadEvents('r1')));

    // Events after a point the cache does not reach cannot be applied: read afresh next time.
    runs.forget('r1');
    await runs.adopt('r1', whole.slice(0, 1));
    await runs.adopt('r1', later, held);
    assert.equal(runs.cachedSeq('r1'), undefined);
  } finally {
    await store.close();
  }
});
