import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestEngine, testEngine } from '../helpers/engine.ts';

describe('conditions and skip propagation', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine();
    t.engine.registerTask('boom', async () => {
      throw Object.assign(new Error('exploded'), { code: 'BOOM', retryable: false });
    });
  });
  after(() => t.close());

  async function stepStatuses(runId: string): Promise<Record<string, string>> {
    const run = await t.engine.getRun(runId);
    return Object.fromEntries(run.steps.map((s) => [s.path, s.status]));
  }

  test('a false `if` skips the step and, by default, everything that needs it', async () => {
    const name = await t.define(`
name: skip-chain
inputs: { go: { type: boolean } }
steps:
  - { id: gate, if: "\${{ inputs.go }}", set: opened }
  - { id: after_gate, needs: [gate], set: ran }
  - { id: always_runs, needs: [after_gate], if: "\${{ always() }}", set: "\${{ steps.after_gate.status }}" }
output: \${{ steps.always_runs.output }}
`);
    const handle = await t.engine.start(name, { go: false });
    assert.equal(await handle.result(), 'skipped');
    assert.deepEqual(await stepStatuses(handle.id), {
      gate: 'skipped',
      after_gate: 'skipped',
      always_runs: 'completed',
    });
    const opened = await t.engine.start(name, { go: true });
    assert.equal(await opened.result(), 'completed');
  });

  test('a failed step fails the run, skips its dependents, and lets failure() handlers run', async () => {
    const name = await t.define(`
name: fail-handler
steps:
  - { id: risky, task: boom }
  - { id: next, needs: [risky], set: never }
  - { id: cleanup, needs: [risky], if: "\${{ failure() }}", set: "\${{ steps.risky.error.code }}" }
  - { id: independent, set: fine }
`);
    const handle = await t.engine.start(name);
    await assert.rejects(
      handle.result(),
      (error: Error & { code: string }) => error.code === 'RUN_FAILED' && /exploded/.test(error.message),
    );
    assert.deepEqual(await stepStatuses(handle.id), {
      risky: 'failed',
      next: 'skipped',
      cleanup: 'completed',
      independent: 'completed',
    });
    const run = await t.engine.getRun(handle.id);
    assert.equal(run.error?.code, 'BOOM');
    assert.equal(run.steps.find((s) => s.path === 'cleanup')?.output, 'BOOM');
  });

  test('continueOnError keeps the run going and dependents run', async () => {
    const output = await t.engine.run(
      await t.define(`
name: fallback
steps:
  - { id: primary, task: boom, continueOnError: true }
  - id: fallback
    needs: [primary]
    if: \${{ steps.primary.status == 'failed' }}
    set: from fallback
output: \${{ coalesce(steps.primary.output, steps.fallback.output) }}
`),
    );
    assert.equal(output, 'from fallback');
  });

  test('an expression error fails the step with the field named, not the process', async () => {
    const handle = await t.engine.start(
      await t.define(`
name: bad-expression
steps:
  - { id: parse, set: "\${{ fromJSON('{not json') }}" }
`),
    );
    await assert.rejects(handle.result(), /parse/);
    const run = await t.engine.getRun(handle.id);
    assert.equal(run.steps[0].error?.code, 'EXPR_RUNTIME');
    assert.equal(run.steps[0].error?.retryable, false);
  });

  test('switch runs the first matching case only', async () => {
    const name = await t.define(`
name: router
inputs: { priority: { type: string } }
steps:
  - id: route
    switch:
      cases:
        - when: \${{ inputs.priority == 'high' }}
          steps:
            - { id: page, set: "paged" }
        - when: \${{ inputs.priority == 'low' }}
          output: queued
      default:
        output: ignored
output: \${{ steps.route.output }}
`);
    assert.equal(await t.engine.run(name, { priority: 'high' }), 'paged');
    assert.equal(await t.engine.run(name, { priority: 'low' }), 'queued');
    assert.equal(await t.engine.run(name, { priority: 'other' }), 'ignored');
  });
});
