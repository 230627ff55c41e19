import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { scriptKind } from '../../src/kinds/script.ts';
import { shutdownSandbox } from '../../src/sandbox/index.ts';
import { executeContext } from './execute-harness.ts';
import { parseConfig } from './harness.ts';

after(async () => {
  await shutdownSandbox();
});

function run(
  raw: unknown,
  input: unknown,
  options: { signal?: AbortSignal; sandbox?: { timeoutMs: number; memoryBytes: number } } = {},
) {
  const config = parseConfig(scriptKind, raw);
  const ctx = executeContext({ kind: 'script', config, input: input as never, ...options });
  return { ctx, result: scriptKind.execute!(ctx) };
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

describe('script kind execute', () => {
  it('sees the input and returns the script value; console output goes to the step log', async () => {
    const { ctx, result } = run(
      'console.log("summing", input.values.length); return { total: input.values.reduce((a, b) => a + b, 0) };',
      {
        values: [1, 2, 3],
      },
    );
    assert.deepEqual(await result, { total: 6 });
    assert.ok(
      ctx.logs.some((entry) => entry.message.includes('summing 3')),
      JSON.stringify(ctx.logs),
    );
  });

  it('applies the step timeout over the engine default', async () => {
    const started = Date.now();
    const { result } = run({ code: 'while (true) {}', timeout: '150ms' }, null, {
      sandbox: { timeoutMs: 10_000, memoryBytes: 32 * 1024 * 1024 },
    });
    const error = await rejection(result);
    assert.equal(error.code, 'SCRIPT_TIMEOUT');
    assert.ok(Date.now() - started < 5000);
  });

  it('applies the engine sandbox limits when the step sets none', async () => {
    const { result } = run('while (true) {}', null, {
      sandbox: { timeoutMs: 150, memoryBytes: 32 * 1024 * 1024 },
    });
    assert.equal((await rejection(result)).code, 'SCRIPT_TIMEOUT');
  });

  it('applies the memory limit in megabytes', async () => {
    const code = 'return "x".repeat(8 * 1024 * 1024).length;';
    const engine = { timeoutMs: 5000, memoryBytes: 4 * 1024 * 1024 };
    assert.equal(await run({ code, memory: 64 }, null, { sandbox: engine }).result, 8 * 1024 * 1024);
    assert.equal((await rejection(run(code, null, { sandbox: engine }).result)).code, 'SCRIPT_MEMORY');
    const big = { timeoutMs: 5000, memoryBytes: 64 * 1024 * 1024 };
    assert.equal(
      (await rejection(run({ code, memory: 4 }, null, { sandbox: big }).result)).code,
      'SCRIPT_MEMORY',
    );
  });

  it('aborts when the step signal fires', async () => {
    const controller = new AbortController();
    const { result } = run({ code: 'while (true) {}', timeout: '20s' }, null, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    assert.equal((await rejection(result)).code, 'SCRIPT_ABORTED');
  });
});
