// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapKind } from '../../src/kinds/map.ts';
import { parallelKind } from '../../src/kinds/parallel.ts';
import { blocksDone, configIssues, parseConfig, startContext } from './harness.ts';

const body = [{ id: 'fetch' }, { id: 'summarise' }];

describe('map kind', () => {
  it('starts one instance per item with item and index, bounded by concurrency', () => {
    const ctx = startContext(
      mapKind,
      { items: '${{ inputs.docs }}', steps: body, concurrency: 2 },
      { inputs: { docs: ['a', 'b', 'c'] } },
    );
    assert.deepEqual(mapKind.start(ctx), {
      type: 'blocks',
      instances: [
        { blockKey: 'body', vars: { item: 'a', index: 0 } },
        { blockKey: 'body', vars: { item: 'b', index: 1 } },
        { blockKey: 'body', vars: { item: 'c', index: 2 } },
      ],
      concurrency: 2,
      note: { items: 3 },
    });
  });

  it('names the item variable with `as`', () => {
    const ctx = startContext(mapKind, { items: [1, 2], as: 'doc', steps: body });
    const outcome = mapKind.start(ctx);
    if (outcome.type !== 'blocks') return assert.fail('expected blocks');
    assert.deepEqual(outcome.instances[1].vars, { doc: 2, index: 1 });
    assert.equal(outcome.concurrency, undefined);
    assert.deepEqual(mapKind.blockVariables?.(ctx.config), ['doc', 'index']);
    assert.deepEqual(mapKind.blockVariables?.(parseConfig(mapKind, { items: [], steps: body })), [
      'item',
      'index',
    ]);
  });

  it('completes with [] for no items', () => {
    const ctx = startContext(mapKind, { items: '${{ inputs.docs }}', steps: body }, { inputs: { docs: [] } });
    assert.deepEqual(mapKind.start(ctx), { type: 'complete', output: [], note: { items: 0 } });
  });

  it('fails MAP_ITEMS_NOT_ARRAY naming the type it got', () => {
    const ctx = startContext(
      mapKind,
      { items: '${{ inputs.docs }}', steps: body },
      { inputs: { docs: { a: 1 } } },
    );
    const outcome = mapKind.start(ctx);
    assert.equal(outcome.type, 'fail');
    if (outcome.type === 'fail') {
      assert.equal(outcome.error.code, 'MAP_ITEMS_NOT_ARRAY');
      assert.equal(outcome.error.retryable, false);
      assert.match(outcome.error.message, /got an object/);
    }
    const missing = mapKind.start(startContext(mapKind, { items: '${{ inputs.nope }}', steps: body }));
    assert.equal(missing.type === 'fail' && missing.error.code, 'MAP_ITEMS_NOT_ARRAY');
  });

  it('fails MAP_TOO_MANY_ITEMS above 10000 items', () => {
    const ctx = startContext(
      mapKind,
      { items: '${{ inputs.docs }}', steps: body },
      { inputs: { docs: new Array(10_001).fill(0) } },
    );
    const outcome = mapKind.start(ctx);
    assert.equal(outcome.type === 'fail' && outcome.error.code, 'MAP_TOO_MANY_ITEMS');
  });

  it('collects last-step outputs, or the output template, in item order', () => {
    const ctx = startContext(mapKind, { items: ['x', 'y'], steps: body });
    const started = mapKind.start(ctx);
    if (started.type !== 'blocks') return assert.fail('expected blocks');
    const runs = [{ outputs: { fetch: 1, summarise: 'sx' } }, { outputs: { fetch: 2, summarise: 'sy' } }];
    assert.deepEqual(blocksDone(mapKind, ctx, started, runs), {
      type: 'complete',
      output: ['sx', 'sy'],
      note: { items: 2 },
    });

    const templated = startContext(mapKind, {
      items: ['x', 'y'],
      steps: body,
      output: { item: '${{ item }}', at: '${{ index }}', n: '${{ steps.fetch.output }}' },
    });
    const again = mapKind.start(templated);
    if (again.type !== 'blocks') return assert.fail('expected blocks');
    assert.deepEqual(blocksDone(mapKind, templated, again, runs), {
      type: 'complete',
      output: [
        { item: 'x', at: 0, n: 1 },
        { item: 'y', at: 1, n: 2 },
      ],
      note: { items: 2 },
    });
  });

  it('fails with the first failed item (index added) when onItemError is fail', () => {
    const ctx = startContext(mapKind, { items: [1, 2, 3], steps: body });
    const started = mapKind.start(ctx);
    if (started.type !== 'blocks') return assert.fail('expected blocks');
    const done = blocksDone(mapKind, ctx, started, [
      { outputs: { summarise: 1 } },
      { error: { code: 'FIRST', message: 'one' } },
      { error: { code: 'SECOND', message: 'two' } },
    ]);
    assert.equal(done.type, 'fail');
    if (done.type === 'fail') {
      assert.equal(done.error.code, 'FIRST');
      assert.equal(done.error.details?.index, 1);
    }
  });

  it('leaves null in failed slots and lists them when onItemError is continue', () => {
    const ctx = startContext(mapKind, { items: [1, 2, 3], steps: body, onItemError: 'continue' });
    const started = mapKind.start(ctx);
    if (started.type !== 'blocks') return assert.fail('expected blocks');
    const done = blocksDone(mapKind, ctx, started, [
      { outputs: { summarise: 'a' } },
      { error: { code: 'X', message: 'x' } },
      { outputs: { summarise: 'c' } },
    ]);
    assert.deepEqual(done, {
      type: 'complete',
      output: ['a', null, 'c'],
      note: { items: 3, failedItems: [1] },
    });
  });

  it('validates as, concurrency and unknown keys', () => {
    assert.match(configIssues(mapKind, { items: [], steps: body, as: 'my-doc' }).join(), /identifier/);
    assert.match(configIssues(mapKind, { items: [], steps: body, as: 'index' }).join(), /already used/);
    assert.notEqual(configIssues(mapKind, { items: [], steps: body, concurrency: 0 }).length, 0);
    assert.match(configIssues(mapKind, { items: [], steps: body, parallelism: 2 }).join(), /parallelism/);
    assert.match(configIssues(mapKind, { steps: body }).join(), /items/);
    assert.deepEqual(parseConfig(mapKind, { items: [], steps: body }), {
      items: [],
      as: 'item',
      steps: body,
      onItemError: 'fail',
    });
  });
});

describe('parallel kind', () => {
  it('accepts a bare list of steps, normalised to { steps }', () => {
    const config = parseConfig(parallelKind, body);
    assert.deepEqual(config, { steps: body });
    assert.deepEqual(parallelKind.blocks?.(config), [{ key: 'body', steps: body, path: [] }]);
    const full = parseConfig(parallelKind, { steps: body, concurrency: 1 });
    assert.deepEqual(parallelKind.blocks?.(full), [{ key: 'body', steps: body, path: ['steps'] }]);
    assert.match(configIssues(parallelKind, { steps: body, limit: 1 }).join(), /limit/);
  });

  it('starts one instance and passes concurrency as a per-step limit', () => {
    assert.deepEqual(parallelKind.start(startContext(parallelKind, body)), {
      type: 'blocks',
      instances: [{ blockKey: 'body', vars: {} }],
    });
    const limited = parallelKind.start(startContext(parallelKind, { steps: body, concurrency: 1 }));
    assert.equal(limited.type === 'blocks' && limited.stepConcurrency, 1);
  });

  it('outputs { stepId: output } of completed steps, or the output template', () => {
    const ctx = startContext(parallelKind, body);
    const started = parallelKind.start(ctx);
    if (started.type !== 'blocks') return assert.fail('expected blocks');
    assert.deepEqual(blocksDone(parallelKind, ctx, started, [{ outputs: { fetch: 1 } }]), {
      type: 'complete',
      output: { fetch: 1 },
    });

    const templated = startContext(parallelKind, {
      steps: body,
      output: '${{ steps.fetch.output + steps.summarise.output }}',
    });
    const again = parallelKind.start(templated);
    if (again.type !== 'blocks') return assert.fail('expected blocks');
    assert.deepEqual(blocksDone(parallelKind, templated, again, [{ outputs: { fetch: 1, summarise: 2 } }]), {
      type: 'complete',
      output: 3,
    });
  });

  it('fails with the failed step error', () => {
    const ctx = startContext(parallelKind, body);
    const started = parallelKind.start(ctx);
    if (started.type !== 'blocks') return assert.fail('expected blocks');
    const done = blocksDone(parallelKind, ctx, started, [{ error: { code: 'NOPE', message: 'x' } }]);
    assert.equal(done.type === 'fail' && done.error.code, 'NOPE');
  });
});
