import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { type TestEngine, testEngine, until } from '../helpers/engine.ts';

describe('pause, resume, cancel and retry', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine();
  });
  after(() => t.close());

  test('pause lets the running step finish but starts nothing new until resume', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    t.engine.registerTask('gated', async (input: { name: string }) => {
      started.push(input.name);
      if (input.name === 'first') await gate;
      return input.name;
    });
    const handle = await t.engine.start(
      await t.define(`
name: pausable
steps:
  - { id: first, task: gated, input: { name: first } }
  - { id: second, task: gated, input: { name: second }, needs: [first] }
output: \${{ steps.second.output }}
`),
    );
    await until(() => started.length === 1);
    await t.engine.pause(handle.id, { by: 'ops', reason: 'maintenance' });
    assert.equal((await t.engine.getRun(handle.id)).status, 'paused');
    release();
    await until(async () =>
      (await t.engine.getRun(handle.id)).steps.some((s) => s.path === 'first' && s.status === 'completed'),
    );
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(started, ['first'], 'second did not start while paused');
    assert.equal((await t.engine.getRun(handle.id)).status, 'paused');
    await t.engine.resume(handle.id);
    assert.equal(await handle.result(), 'second');
  });

  test('cancel aborts running steps and records the cancellation', async () => {
    let sawAbort = false;
    t.engine.registerTask('endless', async (_input, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      sawAbort = true;
      throw ctx.signal.reason;
    });
    const handle = await t.engine.start(
      await t.define(`name: cancellable\nsteps:\n  - { id: spin, task: endless }\n`),
    );
    await until(async () => (await t.engine.history(handle.id)).length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await t.engine.cancel(handle.id, { reason: 'no longer needed' });
    await assert.rejects(handle.result(), (error: BatonError) => error.code === 'RUN_CANCELLED');
    await until(() => sawAbort);
    const types = (await t.engine.history(handle.id)).map((e) => e.type);
    assert.deepEqual(types.slice(-3), ['RunCancelRequested', 'StepCancelled', 'RunCancelled']);
    await assert.rejects(t.engine.resume(handle.id), (error: BatonError) => error.code === 'RUN_FINISHED');
  });

  test('retry re-runs failed steps only and keeps completed results', async () => {
    const calls: Record<string, number> = {};
    let healthy = false;
    t.engine.registerTask('count', async (input: { name: string }) => {
      calls[input.name] = (calls[input.name] ?? 0) + 1;
      if (input.name === 'fragile' && !healthy)
        throw new BatonError('DOWN', 'service down', { retryable: false });
      return input.name;
    });
    const handle = await t.engine.start(
      await t.define(`
name: retry-from-failure
steps:
  - { id: stable, task: count, input: { name: stable } }
  - { id: fragile, task: count, input: { name: fragile }, needs: [stable] }
  - { id: finish, task: count, input: { name: finish }, needs: [fragile] }
output: \${{ [steps.stable.output, steps.fragile.output, steps.finish.output] }}
`),
    );
    await assert.rejects(handle.result(), /service down/);
    assert.deepEqual(calls, { stable: 1, fragile: 1 });
    healthy = true;
    await t.engine.retry(handle.id, { by: 'ops' });
    assert.deepEqual(await handle.result(), ['stable', 'fragile', 'finish']);
    assert.deepEqual(calls, { stable: 1, fragile: 2, finish: 1 });
    const outcomes = (await t.engine.history(handle.id)).filter(
      (e) => e.type === 'RunFailed' || e.type === 'RunCompleted',
    );
    assert.deepEqual(
      outcomes.map((e) => e.type),
      ['RunFailed', 'RunCompleted'],
    );
    await assert.rejects(
      t.engine.retry(handle.id),
      (error: BatonError) => error.code === 'RUN_NOT_RETRYABLE',
    );
  });

  test('retry of a map keeps the items that succeeded', async () => {
    const seen: number[] = [];
    let healthy = false;
    t.engine.registerTask('item', async (input: { n: number }) => {
      seen.push(input.n);
      if (input.n === 2 && !healthy) throw new BatonError('BAD_ITEM', 'item 2 failed', { retryable: false });
      return input.n * 10;
    });
    const handle = await t.engine.start(
      await t.define(`
name: map-retry
steps:
  - id: each
    map:
      items: [1, 2, 3]
      steps:
        - { id: process, task: item, input: { n: "\${{ item }}" } }
output: \${{ steps.each.output }}
`),
    );
    await assert.rejects(handle.result(), /item 2 failed/);
    healthy = true;
    await t.engine.retry(handle.id);
    assert.deepEqual(await handle.result(), [10, 20, 30]);
    assert.deepEqual([...seen].sort(), [1, 2, 2, 3]);
  });

  test('starting twice with the same idempotency key returns the same run', async () => {
    const name = await t.define(`name: once\nsteps:\n  - { id: a, set: 1 }\n`);
    const first = await t.engine.start(name, {}, { idempotencyKey: 'order-42' });
    const second = await t.engine.start(name, {}, { idempotencyKey: 'order-42' });
    assert.equal(second.id, first.id);
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal((await t.engine.listRuns({ workflow: 'once' })).length, 1);
  });

  test('invalid run inputs are rejected before a run starts', async () => {
    const name = await t.define(
      `name: typed\ninputs:\n  count: { type: integer }\nsteps:\n  - { id: a, set: 1 }\n`,
    );
    await assert.rejects(
      t.engine.start(name, { count: 'many' }),
      (error: BatonError) => error.code === 'INVALID_INPUT',
    );
    await assert.rejects(t.engine.start(name, {}), (error: BatonError) => error.code === 'INVALID_INPUT');
    assert.equal((await t.engine.listRuns({ workflow: 'typed' })).length, 0);
  });

  test('a new version of a definition does not change runs already started', async () => {
    const v1 = await t.engine.register(
      `name: versioned\nversion: 1\nsteps:\n  - { id: w, approval: { message: go? } }\n  - { id: v, set: one, needs: [w] }\noutput: \${{ steps.v.output }}\n`,
    );
    const run = await t.engine.start('versioned');
    const v2 = await t.engine.register(
      `name: versioned\nversion: 2\nsteps:\n  - { id: w, approval: { message: go? } }\n  - { id: v, set: two, needs: [w] }\noutput: \${{ steps.v.output }}\n`,
    );
    assert.notEqual(v1.hash, v2.hash);
    const newer = await t.engine.start('versioned');
    await t.engine.approve(run.id);
    await t.engine.approve(newer.id);
    assert.equal(await run.result(), 'one');
    assert.equal(await newer.result(), 'two');
    const older = await t.engine.start('versioned', {}, { version: '1' });
    await t.engine.approve(older.id);
    assert.equal(await older.result(), 'one');
  });
});
