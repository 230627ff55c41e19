import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression } from '../../src/expr/index.ts';
import { evaluate, expectRuntimeError } from './helpers.ts';

describe('literals', () => {
  it('evaluates numbers, strings, booleans, null, arrays and objects', () => {
    assert.equal(evaluate('42'), 42);
    assert.equal(evaluate('1.5e3'), 1500);
    assert.equal(evaluate("'single'"), 'single');
    assert.equal(evaluate('"double"'), 'double');
    assert.equal(evaluate("'it\\'s'"), "it's");
    assert.equal(evaluate('true'), true);
    assert.equal(evaluate('false'), false);
    assert.equal(evaluate('null'), null);
    assert.equal(evaluate('undefined'), undefined);
    assert.deepEqual(evaluate('[1, "two", [3]]'), [1, 'two', [3]]);
    assert.deepEqual(evaluate('{a: 1, "b c": 2, 3: 4, nested: {d: [true]}}'), {
      a: 1,
      'b c': 2,
      3: 4,
      nested: { d: [true] },
    });
    assert.deepEqual(evaluate('[]'), []);
    assert.deepEqual(evaluate('{}'), {});
  });

  it('builds a fresh array and object on every evaluation', () => {
    const compiled = compileExpression('{list: [1]}');
    const first = compiled.evaluate({}) as { list: number[] };
    first.list.push(2);
    assert.deepEqual(compiled.evaluate({}), { list: [1] });
  });

  it('supports shorthand, computed keys and spread in object literals', () => {
    const scope = { name: 'x', base: { a: 1, b: 2 }, key: 'k' };
    assert.deepEqual(evaluate('{name}', scope), { name: 'x' });
    assert.deepEqual(evaluate('{[key]: 1, [1 + 1]: 2}', scope), { k: 1, 2: 2 });
    assert.deepEqual(evaluate('{...base, b: 3, ...missing}', scope), { a: 1, b: 3 });
  });

  it('supports spread in arrays and arguments; null spreads as nothing', () => {
    const scope = { list: [2, 3] };
    assert.deepEqual(evaluate('[1, ...list, 4, ...nothing]', scope), [1, 2, 3, 4]);
    assert.equal(evaluate('max(...list)', scope), 3);
    expectRuntimeError('[...text]', /Cannot spread string into an array/, { text: 'abc' });
    expectRuntimeError('{...list}', /Cannot spread array into an object/, scope);
    expectRuntimeError('{[list]: 1}', /Object key must be a string or a number, got array/, scope);
  });
});

describe('arithmetic', () => {
  it('applies + - * / % ** with JavaScript precedence', () => {
    assert.equal(evaluate('1 + 2 * 3'), 7);
    assert.equal(evaluate('(1 + 2) * 3'), 9);
    assert.equal(evaluate('10 - 4 - 3'), 3);
    assert.equal(evaluate('2 ** 3 ** 2'), 512);
    assert.equal(evaluate('7 % 3'), 1);
    assert.equal(evaluate('7 / 2'), 3.5);
    assert.equal(evaluate('1 / 0'), Number.POSITIVE_INFINITY);
    assert.equal(evaluate('-2 + +3'), 1);
    assert.equal(evaluate('- -2'), 2);
  });

  it('concatenates with + when either side is a string, using interpolation conversion', () => {
    assert.equal(evaluate("'n=' + 3"), 'n=3');
    assert.equal(evaluate("1 + '2'"), '12');
    assert.equal(evaluate("'a' + null + missing"), 'a');
    assert.equal(evaluate("'list: ' + [1, 2]"), 'list: [1,2]');
    assert.equal(evaluate("'obj: ' + {a: 1}"), 'obj: {"a":1}');
  });

  it('converts non-strings numerically without running object code', () => {
    assert.equal(evaluate('true + 1'), 2);
    assert.equal(evaluate('null + 1'), 1);
    assert.ok(Number.isNaN(evaluate('missing + 1')));
    assert.ok(Number.isNaN(evaluate('[5] * 2')));
    assert.ok(Number.isNaN(evaluate('{a: 1} - 1')));
    assert.equal(evaluate("'6' / '2'"), 3);
  });

  it('refuses to build strings longer than the limit', () => {
    const big = 'x'.repeat(6 * 1024 * 1024);
    expectRuntimeError('big + big', /String is too long/, { big });
  });
});

describe('comparison and equality', () => {
  it('compares numbers numerically and strings lexicographically', () => {
    assert.equal(evaluate('2 < 10'), true);
    assert.equal(evaluate("'2' < '10'"), false);
    assert.equal(evaluate("'b' >= 'a'"), true);
    assert.equal(evaluate('3 <= 3'), true);
    assert.equal(evaluate('3 > 3'), false);
    assert.equal(evaluate("'10' > 9"), true);
  });

  it('treats == and != exactly like === and !== (no coercion)', () => {
    assert.equal(evaluate("1 == '1'"), false);
    assert.equal(evaluate("1 != '1'"), true);
    assert.equal(evaluate('0 == false'), false);
    assert.equal(evaluate('null == missing'), false);
    assert.equal(evaluate('missing == undefined'), true);
    assert.equal(evaluate("'a' == 'a'"), true);
    assert.equal(evaluate('1 === 1'), true);
    assert.equal(evaluate('1 !== 2'), true);
    assert.equal(evaluate('[1] == [1]'), false);
  });
});

describe('logical operators', () => {
  it('returns operands like JavaScript and short-circuits', () => {
    let calls = 0;
    const functions = {
      touch: () => {
        calls++;
        return 'touched';
      },
    };
    assert.equal(evaluate('false && touch()', {}, { functions }), false);
    assert.equal(evaluate("'x' || touch()", {}, { functions }), 'x');
    assert.equal(evaluate('0 ?? touch()', {}, { functions }), 0);
    assert.equal(evaluate('true ? 1 : touch()', {}, { functions }), 1);
    assert.equal(calls, 0);
    assert.equal(evaluate('null ?? touch()', {}, { functions }), 'touched');
    assert.equal(evaluate("'' || 'fallback'"), 'fallback');
    assert.equal(evaluate("1 && 'last'"), 'last');
    assert.equal(calls, 1);
  });

  it('negates with ! using JavaScript truthiness ([] and {} are truthy)', () => {
    assert.equal(evaluate('!0'), true);
    assert.equal(evaluate("!''"), true);
    assert.equal(evaluate('!missing'), true);
    assert.equal(evaluate('![]'), false);
    assert.equal(evaluate('!!{}'), true);
  });

  it('gives && precedence over || and comparisons over both', () => {
    assert.equal(evaluate('true || false && false'), true);
    assert.equal(evaluate('1 < 2 && 3 > 4 || 5 == 5'), true);
    assert.equal(evaluate('!true || true'), true);
  });

  it('evaluates nested and chained ternaries right to left', () => {
    assert.equal(evaluate("n > 10 ? 'big' : n > 5 ? 'medium' : 'small'", { n: 7 }), 'medium');
    assert.equal(evaluate("a || b ? 'yes' : 'no'", { b: 1 }), 'yes');
    assert.equal(evaluate('1 + (flag ? 1 : 2)', { flag: false }), 3);
  });
});
