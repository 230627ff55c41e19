import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { taskKind } from '../../src/kinds/task.ts';
import type { TaskContext, TaskHandler } from '../../src/kinds/types.ts';
import { executeContext } from './execute-harness.ts';

function run(handler: TaskHandler | undefined, input: unknown = null, signal?: AbortSignal) {
  const handlers: Record<string, TaskHandler> = handler ? { work: handler } : {};
  return taskKind.execute!(
    executeContext({ kind: 'task', config: 'work', input: input as never, handlers, signal }),
  );
}

async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BatonError, `expected a BatonError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('task kind execute', () => {
  it('calls the handler with the input and a task context', async () => {
    let seen: TaskContext | undefined;
    const output = await run(
      async (input: { a: number }, ctx) => {
        seen = ctx;
        return { doubled: input.a * 2, when: new Date(0) };
      },
      { a: 21 },
    );
    assert.deepEqual(output, { doubled: 42, when: '1970-01-01T00:00:00.000Z' });
    assert.equal(seen?.runId, 'run-1');
    assert.equal(seen?.stepId, 'subject');
    assert.equal(seen?.attempt, 2);
    assert.equal(seen?.idempotencyKey, 'run-1:subject:0');
    assert.equal(await seen?.memo('k', async () => 5), 5);
  });

  it('returns null for undefined results, sync handlers included', async () => {
    assert.equal(await run(() => undefined), null);
  });

  it('fails TASK_HANDLER_NOT_FOUND (not retryable) naming engine.registerTask', async () => {
    const error = await rejection(run(undefined));
    assert.equal(error.code, 'TASK_HANDLER_NOT_FOUND');
    assert.equal(error.retryable, false);
    assert.match(error.message, /engine\.registerTask\('work', fn\)/);
  });

  it('keeps BatonErrors thrown by the handler', async () => {
    const thrown = new BatonError('PAYMENT_DECLINED', 'card declined', {
      retryable: false,
      details: { card: 'x' },
    });
    assert.equal(
      await rejection(
        run(() => {
          throw thrown;
        }),
      ),
      thrown,
    );
  });

  it('maps other errors to HANDLER_ERROR (retryable), keeping a string code and retryable: false', async () => {
    const plain = await rejection(
      run(async () => {
        throw new Error('kaput');
      }),
    );
    assert.equal(plain.code, 'HANDLER_ERROR');
    assert.equal(plain.retryable, true);
    assert.match(plain.message, /kaput/);

    const coded = await rejection(
      run(() => {
        throw Object.assign(new Error('no route'), { code: 'EHOSTUNREACH' });
      }),
    );
    assert.equal(coded.code, 'EHOSTUNREACH');
    assert.equal(coded.retryable, true);

    const permanent = await rejection(
      run(() => {
        throw Object.assign(new Error('bad input'), { retryable: false });
      }),
    );
    assert.equal(permanent.code, 'HANDLER_ERROR');
    assert.equal(permanent.retryable, false);

    const stringThrown = await rejection(
      run(() => {
        throw 'oops';
      }),
    );
    assert.equal(stringThrown.code, 'HANDLER_ERROR');
    assert.match(stringThrown.message, /"oops"/);
  });

  it('rejects outputs that are not JSON with TASK_OUTPUT_INVALID and the offending path', async () => {
    for (const [value, path] of [
      [{ a: { f: () => 1 } }, /a\.f/],
      [{ n: Number.NaN }, /\bn\b/],
      [{ big: 1n }, /big/],
      [new Map(), /Map/],
      [[1, Symbol('s')], /\[1\]/],
    ] as const) {
      const error = await rejection(run(() => value));
      assert.equal(error.code, 'TASK_OUTPUT_INVALID');
      assert.equal(error.retryable, false);
      assert.match(error.message, path);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.match((await rejection(run(() => cyclic))).message, /cycle/);
  });

  it('passes the signal through and abandons a handler that ignores it', async () => {
    const controller = new AbortController();
    let received: AbortSignal | undefined;
    const pending = run(
      (_input, ctx) => {
        received = ctx.signal;
        return new Promise(() => {});
      },
      null,
      controller.signal,
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(received, controller.signal);
    controller.abort(new Error('cancelled by user'));
    const error = await rejection(pending);
    assert.equal(error.code, 'STEP_ABORTED');
    assert.match(error.message, /cancelled by user/);
  });
});
