import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { runScript, shutdownSandbox } from '../../src/sandbox/index.ts';

after(() => shutdownSandbox());

const MiB = 1024 * 1024;

/**
 * Keeps 1 MiB (plus some objects) reachable from a global until the run ends, so a runtime that
 * is not freed would cost 500 MiB over the test.
 */
const ALLOCATING_SCRIPT = `
globalThis.buffer = new Uint8Array(1024 * 1024).fill(7);
globalThis.rows = [];
for (let i = 0; i < 1000; i++) rows.push({ i, label: 'row ' + i });
console.log('rows', rows.length);
return rows.reduce((sum, row) => sum + row.i, 0) + buffer[1000];
`;

const FAILING_SCRIPTS: [string, Parameters<typeof runScript>[2], string][] = [
  ['while (true) {}', { timeoutMs: 30 }, 'SCRIPT_TIMEOUT'],
  [
    'const a = []; while (true) a.push({ n: a.length });',
    { memoryBytes: 4 * MiB, timeoutMs: 60_000 },
    'SCRIPT_MEMORY',
  ],
  ['function f() { return f() + 1; } return f();', {}, 'SCRIPT_ERROR'],
  ['throw new Error("planned")', {}, 'SCRIPT_ERROR'],
  [
    'const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {});',
    { timeoutMs: 30 },
    'SCRIPT_TIMEOUT',
  ],
];

describe('sandbox resource use', () => {
  it('does not grow memory across 500 runs, failures included, and stays usable after each failure', async (t) => {
    for (let i = 0; i < 20; i++) await runScript(ALLOCATING_SCRIPT, {});
    const before = process.memoryUsage().rss;
    const expectedSum = (1000 * 999) / 2 + 7;
    for (let i = 0; i < 500; i++) {
      if (i % 25 === 0) {
        const [code, limits, expectedCode] = FAILING_SCRIPTS[(i / 25) % FAILING_SCRIPTS.length];
        const error = await runScript(code, {}, limits).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        assert.ok(error instanceof BatonError && error.code === expectedCode, `run ${i}: ${String(error)}`);
      }
      const { value, logs } = await runScript(ALLOCATING_SCRIPT, { run: i });
      assert.equal(value, expectedSum);
      assert.deepEqual(logs, ['rows 1000']);
    }
    const growthMiB = (process.memoryUsage().rss - before) / MiB;
    t.diagnostic(`rss grew by ${growthMiB.toFixed(1)} MiB over 500 runs`);
    assert.ok(growthMiB < 150, `rss grew by ${growthMiB.toFixed(1)} MiB`);
  });

  it('runs trivial scripts in about a millisecond after warm-up', async (t) => {
    for (let i = 0; i < 200; i++) await runScript('return input + 1', { input: i });
    const started = performance.now();
    for (let i = 0; i < 1000; i++) await runScript('return input + 1', { input: i });
    const totalMs = performance.now() - started;
    t.diagnostic(
      `1000 trivial scripts took ${totalMs.toFixed(0)} ms (${(totalMs / 1000).toFixed(3)} ms each)`,
    );
    // Loose bound so a loaded CI machine does not fail it; the diagnostic carries the real number.
    assert.ok(totalMs / 1000 < 5, `${(totalMs / 1000).toFixed(2)} ms per script`);
  });

  it('runs scripts submitted concurrently and keeps their results apart', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        runScript('globalThis.mine = input; await null; return mine * 2', { input: i }),
      ),
    );
    assert.deepEqual(
      results.map((result) => result.value),
      Array.from({ length: 40 }, (_, i) => i * 2),
    );
  });
});
