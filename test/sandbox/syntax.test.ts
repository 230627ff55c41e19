import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { checkScriptSyntax, runScript, shutdownSandbox } from '../../src/sandbox/index.ts';

after(() => shutdownSandbox());

describe('checkScriptSyntax', () => {
  it('accepts valid bodies, including top-level return and await', async () => {
    assert.deepEqual(await checkScriptSyntax('return 1'), { ok: true });
    assert.deepEqual(await checkScriptSyntax('const x = await Promise.resolve(input);\nreturn { x };'), {
      ok: true,
    });
    assert.deepEqual(await checkScriptSyntax(''), { ok: true });
    assert.deepEqual(await checkScriptSyntax('// only a comment'), { ok: true });
  });

  it('does not run the code', async () => {
    assert.deepEqual(await checkScriptSyntax('while (true) {}'), { ok: true });
  });

  it('reports line and column relative to the user code', async () => {
    const result = await checkScriptSyntax('let a = 1;\n  foo bar');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.line, 2);
    assert.equal(result.column, 7);
    assert.match(result.message, /expecting ';'/);
  });

  it('reports an error on the first line at its column', async () => {
    const result = await checkScriptSyntax('return )');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.line, 1);
    assert.equal(result.column, 8);
  });

  it('reports an unclosed block at the end of the last line', async () => {
    const result = await checkScriptSyntax('if (input) {\n  work()');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.line, 2);
    assert.equal(result.column, 9);
    assert.match(result.message, /unbalanced brackets/);
  });

  it('reports a stray closing brace at the end of the script', async () => {
    const result = await checkScriptSyntax('return 1 }');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.line, 1);
    assert.match(result.message, /unbalanced brackets/);
  });

  it('rejects module syntax, which scripts do not support', async () => {
    const result = await checkScriptSyntax('import fs from "fs";\nreturn fs');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.line, 1);
  });

  it('agrees with runScript', async () => {
    const code = 'const a = [1, 2;\nreturn a';
    const checked = await checkScriptSyntax(code);
    assert.equal(checked.ok, false);
    const error = await runScript(code, {}).then(
      () => assert.fail('expected a syntax error'),
      (failure: { code: string; details: Record<string, unknown> }) => failure,
    );
    assert.equal(error.code, 'SCRIPT_SYNTAX');
    if (checked.ok) return;
    assert.equal(error.details.line, checked.line);
    assert.equal(error.details.column, checked.column);
  });
});
