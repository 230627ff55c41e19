import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configureSandbox, runScript, shutdownSandbox } from '../../src/sandbox/index.ts';
import { expectBatonError } from './expect-error.ts';

// One worker thread makes queueing observable and proves that a failed script leaves it usable.
before(() => configureSandbox({ maxThreads: 1 }));
after(() => shutdownSandbox());

async function expectUsable(): Promise<void> {
  const { value } = await runScript('return input.x + 1', { input: { x: 41 } });
  assert.equal(value, 42);
}

async function timed<T>(run: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await run().catch(() => undefined);
  return performance.now() - started;
}

describe('SCRIPT_TIMEOUT', () => {
  const limits = { timeoutMs: 200 };

  it('stops an infinite loop', async () => {
    const error = await expectBatonError(runScript('while (true) {}', {}, limits), 'SCRIPT_TIMEOUT', false);
    assert.match(error.message, /time limit of 200 ms/);
    await expectUsable();
  });

  it('stops a tight, never-ending recursive computation', async () => {
    const code = 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nreturn fib(80);';
    await expectBatonError(runScript(code, {}, limits), 'SCRIPT_TIMEOUT', false);
    await expectUsable();
  });

  it('stops an endless loop of awaited, already-resolved promises', async () => {
    await expectBatonError(
      runScript('let i = 0;\nwhile (true) { await Promise.resolve(i++); }', {}, limits),
      'SCRIPT_TIMEOUT',
      false,
    );
    await expectBatonError(
      runScript(
        'const spin = () => Promise.resolve().then(spin);\nspin();\nawait new Promise(() => {});',
        {},
        limits,
      ),
      'SCRIPT_TIMEOUT',
      false,
    );
    await expectUsable();
  });

  it('cannot be caught or outlived by the script', async () => {
    await expectBatonError(
      runScript('while (true) { try { while (true) {} } catch {} }', {}, limits),
      'SCRIPT_TIMEOUT',
      false,
    );
    await expectBatonError(
      runScript('try { while (true) {} } finally { while (true) {} }', {}, limits),
      'SCRIPT_TIMEOUT',
      false,
    );
  });

  it('is enforced promptly', async () => {
    const elapsed = await timed(() => runScript('while (true) {}', {}, limits));
    assert.ok(elapsed < 1_000, `took ${elapsed} ms`);
  });

  it('terminates and replaces a worker stuck in native code the interrupt handler cannot reach', async () => {
    // JSON.stringify of a very deep object runs for tens of seconds inside QuickJS's C code.
    const code = 'let o = {};\nfor (let i = 0; i < 100000; i++) o = { o };\nreturn o;';
    const started = performance.now();
    await expectBatonError(runScript(code, {}, { timeoutMs: 100 }), 'SCRIPT_TIMEOUT', false);
    assert.ok(performance.now() - started < 5_000);
    await expectUsable();
  });
});

// Generous deadlines: filling a heap is slow on a loaded machine, and these tests are about memory.
describe('SCRIPT_MEMORY', () => {
  it('stops a script that allocates a huge array', async () => {
    const error = await expectBatonError(
      runScript('return new Array(1e8).fill(0).length', {}, { timeoutMs: 60_000 }),
      'SCRIPT_MEMORY',
      false,
    );
    assert.match(error.message, /memory limit of 33554432 bytes/);
    await expectUsable();
  });

  it('stops a script that grows memory until the limit, even when kept reachable from a global', async () => {
    await expectBatonError(
      runScript(
        'globalThis.keep = [];\nwhile (true) keep.push({ n: keep.length, s: "abc" + keep.length });',
        {},
        { memoryBytes: 8 * 1024 * 1024, timeoutMs: 60_000 },
      ),
      'SCRIPT_MEMORY',
      false,
    );
    await expectUsable();
  });

  it('stops a script that builds a huge string', async () => {
    await expectBatonError(
      runScript(
        'const parts = [];\nfor (let i = 0; i < 1e6; i++) parts.push("chunk" + i);\nreturn parts.join("").length;',
        {},
        { memoryBytes: 8 * 1024 * 1024, timeoutMs: 60_000 },
      ),
      'SCRIPT_MEMORY',
      false,
    );
    await expectUsable();
  });

  it('applies the limit to the copied-in globals too', async () => {
    const big = { data: 'x'.repeat(4 * 1024 * 1024) };
    const error = await expectBatonError(
      runScript('return 1', { big }, { memoryBytes: 2 * 1024 * 1024 }),
      'SCRIPT_MEMORY',
      false,
    );
    assert.match(error.message, /globals/);
  });

  it('honours a larger memory limit when given', async () => {
    const { value } = await runScript(
      'return new Array(5e6).fill(1).length',
      {},
      { memoryBytes: 128 * 1024 * 1024 },
    );
    assert.equal(value, 5e6);
  });
});

describe('SCRIPT_ABORTED', () => {
  it('fails at once, retryably, when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('step timed out'));
    const error = await expectBatonError(
      runScript('return 1', {}, {}, controller.signal),
      'SCRIPT_ABORTED',
      true,
    );
    assert.match(error.message, /step timed out/);
  });

  it('stops a running script promptly when the signal fires', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await expectBatonError(
      runScript('while (true) {}', {}, { timeoutMs: 30_000 }, controller.signal),
      'SCRIPT_ABORTED',
      true,
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1_000, `abort took ${elapsed} ms`);
    await expectUsable();
  });

  it('works with AbortSignal.timeout during an async loop', async () => {
    await expectBatonError(
      runScript('while (true) await null;', {}, { timeoutMs: 30_000 }, AbortSignal.timeout(100)),
      'SCRIPT_ABORTED',
      true,
    );
    await expectUsable();
  });

  it('removes a queued script without running it', async () => {
    const blocker = runScript('while (true) {}', {}, { timeoutMs: 500 });
    const controller = new AbortController();
    const queued = runScript('globalThis.ran = true; return "ran"', {}, {}, controller.signal);
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    await expectBatonError(queued, 'SCRIPT_ABORTED', true);
    assert.ok(performance.now() - started < 400, 'the queued script was aborted before the blocker finished');
    await expectBatonError(blocker, 'SCRIPT_TIMEOUT', false);
    await expectUsable();
  });
});

describe('limits', () => {
  it('runs scripts submitted together one after another on a single thread, each with its own deadline', async () => {
    const results = await Promise.allSettled([
      runScript('while (true) {}', {}, { timeoutMs: 150 }),
      runScript('return 2', {}),
      runScript('return 3', {}),
    ]);
    assert.equal(results[0].status, 'rejected');
    assert.deepEqual(
      results.slice(1).map((result) => (result.status === 'fulfilled' ? result.value.value : result.reason)),
      [2, 3],
    );
  });
});
