import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MAX_STACK_BYTES, runScript, shutdownSandbox } from '../../src/sandbox/index.ts';
import { expectBatonError } from './expect-error.ts';

after(() => shutdownSandbox());

describe('SCRIPT_ERROR', () => {
  it('reports the thrown message and the line relative to the user code', async () => {
    const code = [
      'const a = 1;',
      'function check(value) {',
      '  throw new TypeError("bad value " + value);',
      '}',
      'check(a);',
    ].join('\n');
    const error = await expectBatonError(runScript(code, {}), 'SCRIPT_ERROR', false);
    assert.match(error.message, /TypeError: bad value 1/);
    assert.match(error.message, /line 3/);
    assert.equal(error.details.line, 3);
    assert.equal(error.details.name, 'TypeError');
    assert.equal(error.details.errorMessage, 'bad value 1');
    // The stack is rewritten to user lines and leaves out the wrapper.
    assert.match(String(error.details.stack), /at check \(script:3:\d+\)/);
    assert.match(String(error.details.stack), /script:5:\d+/);
  });

  it('reports errors thrown after an await, and rejections', async () => {
    const error = await expectBatonError(
      runScript('await null;\nawait Promise.resolve();\nthrow new RangeError("late")', {}),
      'SCRIPT_ERROR',
      false,
    );
    assert.match(error.message, /RangeError: late \(line 3/);
    const rejected = await expectBatonError(
      runScript('await Promise.reject("plain string")', {}),
      'SCRIPT_ERROR',
      false,
    );
    assert.match(rejected.message, /non-Error value: plain string/);
  });

  it('describes thrown non-Error objects as JSON', async () => {
    const error = await expectBatonError(runScript('throw { code: 42 }', {}), 'SCRIPT_ERROR', false);
    assert.match(error.message, /\{"code":42\}/);
  });

  it('includes the console output captured before the failure', async () => {
    const error = await expectBatonError(
      runScript('console.log("step 1"); throw new Error("x")', {}),
      'SCRIPT_ERROR',
      false,
    );
    assert.deepEqual(error.details.logs, ['step 1']);
  });

  it('reports a stack overflow from unbounded recursion as SCRIPT_ERROR with reason stack_overflow', async () => {
    const error = await expectBatonError(
      runScript('function down(n) {\n  return down(n + 1) + 1;\n}\nreturn down(0);', {}),
      'SCRIPT_ERROR',
      false,
    );
    assert.equal(error.details.reason, 'stack_overflow');
    assert.match(error.message, /stack limit of 1048576 bytes at line 2/);
  });

  it('reports a stack overflow cleanly at the largest allowed stack too', async () => {
    const code = 'function down(n) { return down(n + 1) + 1; }\nreturn down(0);';
    const error = await expectBatonError(
      runScript(code, {}, { stackBytes: MAX_STACK_BYTES }),
      'SCRIPT_ERROR',
      false,
    );
    assert.equal(error.details.reason, 'stack_overflow');
    assert.equal((await runScript('return 1', {})).value, 1);
  });

  it('lets moderately deep recursion succeed within the default stack', async () => {
    const { value } = await runScript(
      'function depth(n) { return n === 0 ? 0 : 1 + depth(n - 1); }\nreturn depth(2000);',
      {},
    );
    assert.equal(value, 2000);
  });

  it('fails a promise that can never settle instead of hanging', async () => {
    const error = await expectBatonError(runScript('await new Promise(() => {})', {}), 'SCRIPT_ERROR', false);
    assert.match(error.message, /script returned a promise that never settled/);
  });
});

describe('SCRIPT_SYNTAX', () => {
  it('reports line and column relative to the user code', async () => {
    const error = await expectBatonError(
      runScript('const ok = 1;\nconst broken = ;', {}),
      'SCRIPT_SYNTAX',
      false,
    );
    assert.equal(error.details.line, 2);
    assert.equal(error.details.column, 16);
    assert.match(error.message, /line 2, column 16/);
  });

  it('is not confused with a SyntaxError thrown at run time', async () => {
    await expectBatonError(runScript('JSON.parse("{")', {}), 'SCRIPT_ERROR', false);
  });
});

describe('SCRIPT_OUTPUT', () => {
  it('rejects a cyclic result', async () => {
    const error = await expectBatonError(
      runScript('const a = {}; a.self = a; return a;', {}),
      'SCRIPT_OUTPUT',
      false,
    );
    assert.match(error.message, /not JSON-serialisable/);
  });

  it('rejects a BigInt result', async () => {
    await expectBatonError(runScript('return 10n', {}), 'SCRIPT_OUTPUT', false);
  });

  it('rejects a result larger than maxOutputBytes, counted in UTF-8 bytes', async () => {
    await runScript('return "x".repeat(98)', {}, { maxOutputBytes: 100 });
    await expectBatonError(
      runScript('return "x".repeat(99)', {}, { maxOutputBytes: 100 }),
      'SCRIPT_OUTPUT',
      false,
    );
    await expectBatonError(
      runScript('return "é".repeat(60)', {}, { maxOutputBytes: 100 }),
      'SCRIPT_OUTPUT',
      false,
    );
    const error = await expectBatonError(runScript('return "x".repeat(2e6)', {}), 'SCRIPT_OUTPUT', false);
    assert.match(error.message, /over the limit of 1048576 bytes/);
  });

  it('serialises with the original JSON.stringify even if the script replaced it', async () => {
    const { value } = await runScript(
      'JSON.stringify = () => "{\\"forged\\":true}"; return { real: true }',
      {},
    );
    assert.deepEqual(value, { real: true });
  });
});

describe('SCRIPT_INPUT and INVALID_SCRIPT_LIMITS', () => {
  it('rejects globals that are not JSON-serialisable', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectBatonError(runScript('return 1', { cyclic } as never), 'SCRIPT_INPUT', false);
  });

  it('rejects global names that cannot be variables', async () => {
    for (const name of ['my-var', 'undefined', '__proto__', '1abc']) {
      await expectBatonError(runScript('return 1', { [name]: 1 }), 'SCRIPT_INPUT', false);
    }
  });

  it('rejects invalid limits', async () => {
    await expectBatonError(runScript('return 1', {}, { timeoutMs: -1 }), 'INVALID_SCRIPT_LIMITS', false);
    await expectBatonError(
      runScript('return 1', {}, { memoryBytes: Number.NaN }),
      'INVALID_SCRIPT_LIMITS',
      false,
    );
    await expectBatonError(
      runScript('return 1', {}, { stackBytes: 64 * 1024 * 1024 }),
      'INVALID_SCRIPT_LIMITS',
      false,
    );
  });
});
