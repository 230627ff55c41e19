/**
 * The mechanism agent steps build on: a running step records checkpoints (with metered
 * usage) and can suspend itself until a human decides, then resume with its checkpoints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { BatonError } from '../../src/errors.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import type { KindRegistry } from '../../src/kinds/registry.ts';
import type { StepKind } from '../../src/kinds/types.ts';
import { type TestEngine, testEngine, until } from '../helpers/engine.ts';

let expensiveCalls = 0;
const guardedKind: StepKind<{ action: string }> = {
  key: 'guarded',
  description: 'test kind: pays for a call, then asks before acting',
  schema: () => z.strictObject({ action: z.string() }) as unknown as z.ZodType<{ action: string }>,
  start: (ctx) => ({ type: 'task', input: ctx.config.action }),
  async execute(ctx) {
    const plan = await ctx.memo(
      'plan',
      async () => {
        expensiveCalls++;
        return { plan: `do ${ctx.input}` };
      },
      {
        usage: () => ({
          calls: 1,
          inputTokens: 100,
          outputTokens: 20,
          cachedInputTokens: 0,
          costUsd: 0.0012,
        }),
      },
    );
    const decision = await ctx.requestApproval('act', {
      message: `May I ${ctx.input}?`,
      payload: plan,
      timeoutMs: 60_000,
    });
    return { plan, approved: decision.approved, by: decision.by ?? null, payload: decision.payload ?? null };
  },
};

let checkpointCalls = 0;
const flakyAfterCheckpoint: StepKind<Record<string, never>> = {
  key: 'flakyAfterCheckpoint',
  description: 'test kind: records a checkpoint, then fails its first attempt',
  schema: () => z.strictObject({}) as unknown as z.ZodType<Record<string, never>>,
  start: () => ({ type: 'task', input: null }),
  defaultRetry: { attempts: 2, delay: 0, jitter: 'none' },
  async execute(ctx) {
    const turn = await ctx.memo('turn:1', async () => {
      checkpointCalls++;
      return 'answer';
    });
    if (ctx.attempt === 1) throw new BatonError('LLM_RATE_LIMITED', 'slow down', { retryable: true });
    return { turn, attempt: ctx.attempt };
  },
};

function registry(): KindRegistry {
  return createBuiltinRegistry().register(guardedKind).register(flakyAfterCheckpoint);
}

describe('checkpoints, usage and suspension inside a step', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine({ registry: registry() });
  });
  after(() => t.close());

  test('a step suspends for approval, keeps its checkpoint, and resumes with the decision', async () => {
    const name = await t.define(
      `name: guarded-flow\nsteps:\n  - { id: act, guarded: { action: deploy } }\noutput: \${{ steps.act.output }}\n`,
    );
    const handle = await t.engine.start(name);
    await until(async () => (await t.engine.pendingApprovals({ runId: handle.id })).length === 1);
    const [pending] = await t.engine.pendingApprovals({ runId: handle.id });
    assert.equal(
      (pending.step.detail!.approval as { request: { message: string } }).request.message,
      'May I deploy?',
    );
    assert.equal((await t.engine.getRun(handle.id)).status, 'waiting');
    await t.engine.approve(handle.id, { by: 'alice', payload: { plan: 'do deploy carefully' } });
    const output = (await handle.result()) as Record<string, unknown>;
    assert.deepEqual(output, {
      plan: { plan: 'do deploy' },
      approved: true,
      by: 'alice',
      payload: { plan: 'do deploy carefully' },
    });
    assert.equal(expensiveCalls, 1, 'the checkpointed call was not paid for twice');
    const run = await t.engine.getRun(handle.id);
    assert.deepEqual(run.usage, {
      calls: 1,
      inputTokens: 100,
      outputTokens: 20,
      cachedInputTokens: 0,
      costUsd: 0.0012,
    });
    assert.deepEqual(run.steps[0].usage, run.usage);
    const types = (await t.engine.history(handle.id)).map((e) => e.type);
    assert.deepEqual(types, [
      'RunStarted',
      'StepScheduled',
      'StepProgress',
      'StepSuspended',
      'ApprovalDecided',
      'StepProgress',
      'StepScheduled',
      'StepCompleted',
      'RunCompleted',
    ]);
  });

  test('a suspension that times out resumes with a rejection', async () => {
    const name = await t.define(
      `name: guarded-timeout\nsteps:\n  - { id: act, guarded: { action: delete } }\noutput: \${{ steps.act.output.approved }}\n`,
    );
    const handle = await t.engine.start(name);
    await until(async () => (await t.engine.pendingApprovals({ runId: handle.id })).length === 1);
    await t.advance(60_000);
    assert.equal(await handle.result(), false);
  });

  test('checkpoints survive an automatic retry, so the retry does not pay for them again', async () => {
    const name = await t.define(
      `name: retry-keeps-checkpoints\nsteps:\n  - { id: ask, flakyAfterCheckpoint: {} }\noutput: \${{ steps.ask.output }}\n`,
    );
    assert.deepEqual(await t.engine.run(name), { turn: 'answer', attempt: 2 });
    assert.equal(checkpointCalls, 1);
  });
});
