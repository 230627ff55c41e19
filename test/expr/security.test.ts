// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression, compileTemplate, compileValue } from '../../src/expr/index.ts';
import { evaluate, expectCompileError, expectRuntimeError } from './helpers.ts';

describe('sandbox escapes fail safely', () => {
  it('never reaches prototypes or constructors', () => {
    const scope = { obj: { a: 1 }, list: [1], text: 'abc', n: 1 };
    for (const source of [
      'obj.constructor',
      'obj.__proto__',
      "obj['__proto__']",
      "obj['__pro' + 'to__']",
      "obj['constructor']['constructor']",
      'obj.constructor.constructor',
      'list.constructor',
      'list.__proto__',
      "list['constructor']",
      'text.constructor',
      "text['constructor']",
      'n.constructor',
      'obj.hasOwnProperty',
      'obj.toString',
      'obj.valueOf',
      'list.push',
      'text.concat',
      'obj.prototype',
      '__proto__',
      'constructor',
    ]) {
      assert.equal(evaluate(source, scope), undefined, source);
    }
  });

  it('does not expose own __proto__ or constructor keys either', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "ok": 2}');
    assert.equal(evaluate('data.__proto__', { data: parsed }), undefined);
    assert.equal(evaluate('data.constructor', { data: parsed }), undefined);
    assert.equal(evaluate('data.ok', { data: parsed }), 2);
    assert.deepEqual(evaluate('keys(data)', { data: parsed }), ['ok']);
  });

  it('cannot call constructor.constructor to build a function', () => {
    expectCompileError(
      "constructor.constructor('return process')()",
      'EXPR_SYNTAX',
      /Only named functions|Method calls/,
    );
    expectCompileError(
      "obj.constructor.constructor('return process')",
      'EXPR_SYNTAX',
      /Method calls are not supported/,
    );
    expectCompileError("obj['constructor']['constructor']('return process')", 'EXPR_SYNTAX', /Method calls/);
    // Calling a name that merely resolves to data is an unknown function at run time, never a call of data.
    expectRuntimeError("constructor('return process')", /Unknown function "constructor"/, {
      constructor: Function,
    });
  });

  it('has no globals, this, new, assignment or methods', () => {
    for (const name of ['globalThis', 'process', 'Function', 'require', 'eval', 'Object', 'Math', 'Date']) {
      assert.equal(evaluate(name), undefined, name);
    }
    expectRuntimeError("eval('1')", /Unknown function "eval"/);
    expectRuntimeError("Function('return 1')", /Unknown function "Function"/);
    expectCompileError('this', 'EXPR_SYNTAX', /"this" is not available/);
    expectCompileError('this.constructor', 'EXPR_SYNTAX', /"this" is not available/);
    expectCompileError('new Date()', 'EXPR_SYNTAX');
    expectCompileError('a = 1', 'EXPR_SYNTAX', /Unexpected token "="/);
    expectCompileError("'x'.toString()", 'EXPR_SYNTAX', /Method calls are not supported \("toString/);
    expectCompileError('[1].map(x)', 'EXPR_SYNTAX', /Method calls/);
    expectCompileError('x => x', 'EXPR_SYNTAX');
    expectCompileError('length(x)(1)', 'EXPR_SYNTAX', /Only named functions/);
  });

  it('never exposes function values as data', () => {
    const scope = { fn: () => 1, holder: { fn: () => 2 }, list: [() => 3] };
    assert.equal(evaluate('fn', scope), undefined);
    assert.equal(evaluate('holder.fn', scope), undefined);
    assert.equal(evaluate('list[0]', scope), undefined);
    assert.deepEqual(evaluate('values(holder)', scope), [undefined]);
    assert.equal(evaluate('length', scope), undefined);
    assert.equal(evaluate('always', {}, { functions: { always: () => true } }), undefined);
    const leaky = { functions: { leak: () => () => 'escaped' } };
    assert.equal(evaluate('leak()', {}, leaky), undefined);
  });

  it('builds objects from untrusted keys without polluting prototypes', () => {
    const made = evaluate("{['__proto__']: {polluted: true}, __proto__: 1}") as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(made), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(Object.hasOwn(made, '__proto__'));
    const merged = evaluate('merge({}, data)', { data: JSON.parse('{"__proto__": {"polluted": true}}') });
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    const parsed = evaluate('fromJSON(text)', { text: '{"__proto__": {"polluted": true}}' }) as object;
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    const tree = compileValue(JSON.parse('{"__proto__": "${{ 1 }}"}')).evaluate({}) as object;
    assert.equal(Object.getPrototypeOf(tree), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('ignores caller functions inherited from the options object prototype', () => {
    expectRuntimeError('toString()', /Unknown function "toString"/, {}, { functions: {} });
    expectRuntimeError('hasOwnProperty()', /Unknown function/, {}, { functions: {} });
  });

  it('rejects pathological inputs', () => {
    expectCompileError('1 + '.repeat(3000) + '1', 'EXPR_SYNTAX', /too long/);
    expectCompileError(`${'('.repeat(3000)}1${')'.repeat(3000)}`, 'EXPR_SYNTAX', /nested too deeply/);
    expectCompileError(`${'-'.repeat(4000)}1`, 'EXPR_SYNTAX', /nested too deeply/);
    assert.throws(() => compileTemplate(`\${{ ${'['.repeat(4000)} }}`), { code: 'EXPR_SYNTAX' });
    expectRuntimeError('range(1000000)', /limit is 100000/);
    expectRuntimeError('join(range(100000), text)', /too long/, { text: 'x'.repeat(200) });
    expectRuntimeError("format('{0}{0}{0}', text)", /too long/, { text: 'x'.repeat(4 * 1024 * 1024) });
    const compiled = compileExpression('fromJSON(text)');
    assert.throws(() => compiled.evaluate({ text: '{' }), { code: 'EXPR_RUNTIME' });
  });
});
