import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { eventTypes, type TestEngine, testEngine, until } from '../helpers/engine.ts';

describe('retries and timeouts', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine();
  });
  after(() => t.close());

  test('retries are durable timers with exponential backoff and the same idempotency key', async () => {
    const seen: { attempt: number; key: string; at: number }[] = [];
    t.engine.registerTask('flaky', async (_input, ctx) => {
      seen.push({ attempt: ctx.attempt, key: ctx.idempotencyKey, at: t.clock.now() });
      if (ctx.attempt < 3) throw new BatonError('UPSTREAM_DOWN', 'try later', { retryable: true });
      return 'ok';
    });
    const handle = await t.engine.start(
      await t.define(`
name: flaky
steps:
  - id: call
    task: flaky
    retry: { attempts: 3, backoff: exponential, delay: 1s, jitter: none }
output: \${{ steps.call.output }}
`),
    );
    await until(async () => (await eventTypes(t.engine, handle.id)).includes('StepFailed'));
    const history = await t.engine.history(handle.id);
    const failed = history.find((e) => e.type === 'StepFailed');
    assert.ok(failed && failed.type === 'StepFailed');
    assert.equal(failed.retryAt! - failed.at, 1000, 'first retry after 1s');
    await t.advance(999);
    assert.equal(seen.length, 1, 'not retried before the delay');
    await t.advance(1);
    await until(() => seen.length === 2);
    await t.advance(2000);
    assert.equal(await handle.result(), 'ok');
    assert.deepEqual(
      seen.map((s) => s.attempt),
      [1, 2, 3],
    );
    assert.equal(new Set(seen.map((s) => s.key)).size, 1, 'one idempotency key across attempts');
    assert.equal(seen[2].at - seen[1].at, 2000, 'second retry waited twice as long');
  });

  test('non-retryable errors and listed codes are not retried; exhausting attempts fails the run', async () => {
    let calls = 0;
    t.engine.registerTask('forbidden', async () => {
      calls++;
      throw new BatonError('QUOTA', 'quota exceeded', { retryable: true });
    });
    const handle = await t.engine.start(
      await t.define(`
name: no-retry
steps:
  - { id: call, task: forbidden, retry: { attempts: 5, nonRetryable: [QUOTA] } }
`),
    );
    await assert.rejects(handle.result(), /quota exceeded/);
    assert.equal(calls, 1);
  });

  test('a step timeout aborts the handler through its AbortSignal and counts as a retryable failure', async () => {
    let aborted = 0;
    let attempts = 0;
    t.engine.registerTask('hang', async (_input, ctx) => {
      attempts++;
      if (ctx.attempt === 2) return 'second time lucky';
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      aborted++;
      throw ctx.signal.reason;
    });
    const handle = await t.engine.start(
      await t.define(`
name: timeout
steps:
  - { id: slow, task: hang, timeout: 50ms, retry: { attempts: 2, delay: 10ms, jitter: none } }
output: \${{ steps.slow.output }}
`),
    );
    await until(async () => (await eventTypes(t.engine, handle.id)).includes('StepFailed'));
    await t.advance(10);
    assert.equal(await handle.result(), 'second time lucky');
    assert.equal(aborted, 1);
    assert.equal(attempts, 2);
    const failed = (await t.engine.history(handle.id)).find((e) => e.type === 'StepFailed');
    assert.ok(
      failed?.type === 'StepFailed' && failed.error.code === 'STEP_TIMEOUT' && failed.error.retryable,
    );
  });

  test('a run timeout fails the run and aborts running steps', async () => {
    let abortedReason: unknown;
    t.engine.registerTask('forever', async (_input, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      abortedReason = ctx.signal.reason;
      throw ctx.signal.reason;
    });
    const handle = await t.engine.start(
      await t.define(`
name: run-timeout
timeout: 1m
steps:
  - { id: wait_forever, task: forever }
`),
    );
    await until(async () => (await t.engine.getRun(handle.id)).status === 'running');
    await t.advance(60_000);
    await assert.rejects(handle.result(), (error: BatonError) => {
      assert.equal(error.code, 'RUN_FAILED');
      return /timeout/.test(error.message);
    });
    await until(() => abortedReason !== undefined);
    const run = await t.engine.getRun(handle.id);
    assert.equal(run.error?.code, 'RUN_TIMEOUT');
    assert.equal(run.steps[0].status, 'cancelled');
  });
});
