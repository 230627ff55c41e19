import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BatonError } from '../../src/errors.ts';
import { type TestEngine, testEngine, until } from '../helpers/engine.ts';

describe('approvals, timers and child workflows', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine();
  });
  after(() => t.close());

  const reviewFlow = (onTimeout: string, onReject = 'continue') => `
name: review-${onTimeout}-${onReject}
inputs: { draft: { type: string } }
steps:
  - id: review
    approval:
      message: "Publish \${{ inputs.draft }}?"
      payload: { draft: "\${{ inputs.draft }}" }
      reviewers: [alice]
      timeout: 1h
      onTimeout: ${onTimeout}
      onReject: ${onReject}
  - id: publish
    if: \${{ steps.review.output.approved }}
    set: "published \${{ steps.review.output.payload.draft }}"
output: { review: "\${{ steps.review.output }}", publish: "\${{ steps.publish.output }}" }
`;

  test('an approval waits durably, is listed, and records who decided and why', async () => {
    const handle = await t.engine.start(await t.define(reviewFlow('fail')), { draft: 'v1' });
    const pending = await t.engine.pendingApprovals({ runId: handle.id });
    assert.equal(pending.length, 1);
    assert.equal(pending[0].step.path, 'review');
    assert.equal((await t.engine.getRun(handle.id)).status, 'waiting');
    await t.engine.approve(handle.id, { comment: 'ship it', by: 'alice', payload: { draft: 'v1-edited' } });
    const output = (await handle.result()) as { review: Record<string, unknown>; publish: string };
    assert.equal(output.publish, 'published v1-edited');
    assert.equal(output.review.approved, true);
    assert.equal(output.review.by, 'alice');
    assert.equal(output.review.comment, 'ship it');
    const decided = (await t.engine.history(handle.id)).find((e) => e.type === 'ApprovalDecided');
    assert.ok(
      decided?.type === 'ApprovalDecided' && decided.by === 'alice' && decided.decision === 'approved',
    );
    assert.equal((await t.engine.pendingApprovals({ runId: handle.id })).length, 0);
    await assert.rejects(
      t.engine.approve(handle.id),
      (error: BatonError) => error.code === 'APPROVAL_NOT_PENDING',
    );
  });

  test('a rejection continues with approved=false, or fails the step with onReject: fail', async () => {
    const soft = await t.engine.start(await t.define(reviewFlow('fail')), { draft: 'v2' });
    await t.engine.reject(soft.id, { comment: 'not yet', by: 'bob' });
    const output = (await soft.result()) as { review: Record<string, unknown>; publish: unknown };
    assert.equal(output.review.approved, false);
    assert.equal(output.publish, null);
    const hard = await t.engine.start(await t.define(reviewFlow('fail', 'fail')), { draft: 'v3' });
    await t.engine.reject(hard.id, { comment: 'no', by: 'bob' });
    await assert.rejects(hard.result(), /rejected by bob: no/);
  });

  test('an approval timeout applies its policy', async () => {
    const failing = await t.engine.start(await t.define(reviewFlow('fail')), { draft: 'x' });
    const approving = await t.engine.start(await t.define(reviewFlow('approve')), { draft: 'y' });
    await t.advance(3_600_000);
    await assert.rejects(failing.result(), /APPROVAL_TIMEOUT|before its timeout/);
    const output = (await approving.result()) as { review: Record<string, unknown>; publish: string };
    assert.equal(output.review.timedOut, true);
    assert.equal(output.publish, 'published y');
  });

  test('a wait step is a durable timer on the injected clock', async () => {
    const handle = await t.engine.start(
      await t.define(
        `name: sleeper\nsteps:\n  - { id: nap, wait: 2h }\n  - { id: done, set: awake, needs: [nap] }\noutput: \${{ steps.done.output }}\n`,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await t.engine.getRun(handle.id)).status, 'waiting');
    await t.advance(7_199_000);
    assert.equal((await t.engine.getRun(handle.id)).status, 'waiting');
    await t.advance(1_000);
    assert.equal(await handle.result(), 'awake');
  });

  test('a child workflow runs as its own run and its output becomes the step output', async () => {
    await t.define(`
name: child
inputs: { n: { type: number } }
steps:
  - { id: square, set: "\${{ inputs.n * inputs.n }}" }
output: \${{ steps.square.output }}
`);
    const parent = await t.engine.start(
      await t.define(`
name: parent
steps:
  - { id: call, workflow: child, input: { n: 7 } }
output: \${{ steps.call.output }}
`),
    );
    assert.equal(await parent.result(), 49);
    const children = await t.engine.listRuns({ parentRunId: parent.id });
    assert.equal(children.length, 1);
    assert.equal(children[0].workflowName, 'child');
    assert.equal(children[0].status, 'completed');
  });

  test('a failing child fails the parent step with CHILD_FAILED; a missing child workflow too', async () => {
    await t.define(
      `name: bad-child\nsteps:\n  - { id: f, fail: { message: child broke, code: CHILD_BROKE } }\n`,
    );
    const parent = await t.engine.start(
      await t.define(`name: parent-of-bad\nsteps:\n  - { id: call, workflow: bad-child }\n`),
    );
    await assert.rejects(parent.result(), /child broke/);
    const run = await t.engine.getRun(parent.id);
    assert.equal(run.steps[0].error?.code, 'CHILD_FAILED');
    const orphan = await t.engine.start(
      await t.define(`name: parent-of-none\nsteps:\n  - { id: call, workflow: does-not-exist }\n`),
    );
    await assert.rejects(orphan.result(), /does-not-exist/);
  });

  test('cancelling a parent cancels its waiting child', async () => {
    await t.define(`name: slow-child\nsteps:\n  - { id: hold, approval: { message: hold } }\n`);
    const parent = await t.engine.start(
      await t.define(`name: parent-cancel\nsteps:\n  - { id: call, workflow: slow-child }\n`),
    );
    await until(async () => (await t.engine.listRuns({ parentRunId: parent.id })).length === 1);
    const [child] = await t.engine.listRuns({ parentRunId: parent.id });
    await t.engine.cancel(parent.id);
    await until(async () => (await t.engine.getRun(child.id)).status === 'cancelled');
  });
});
