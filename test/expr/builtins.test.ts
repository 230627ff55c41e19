import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { BUILTIN_FUNCTIONS } from '../../src/expr/index.ts';
import { evaluate, expectCompileError, expectRuntimeError } from './helpers.ts';

const scope = {
  text: '  Hello World  ',
  list: [3, 1, 2],
  words: ['a', 'b', 'a'],
  obj: { a: 1, b: 'two' },
  nested: [[1, 2], 3, [4, [5]]],
};

describe('built-in functions', () => {
  it('lists every built-in', () => {
    for (const name of ['length', 'contains', 'format', 'range', 'not', 'coalesce', 'merge', 'round']) {
      assert.ok(BUILTIN_FUNCTIONS.includes(name), name);
    }
    assert.equal(BUILTIN_FUNCTIONS.length, 30);
    assert.ok(Object.isFrozen(BUILTIN_FUNCTIONS));
  });

  it('length', () => {
    assert.equal(evaluate("length('abc')"), 3);
    assert.equal(evaluate('length(list)', scope), 3);
    assert.equal(evaluate('length(obj)', scope), 2);
    assert.equal(evaluate('length(missing)'), 0);
    expectRuntimeError('length(5)', /length\(\) expects a string, an array or an object, got number/);
  });

  it('contains', () => {
    assert.equal(evaluate("contains('hello', 'ell')"), true);
    assert.equal(evaluate("contains('hello', 'ELL')"), false);
    assert.equal(evaluate("contains('v12', 12)"), true);
    assert.equal(evaluate("contains(words, 'b')", scope), true);
    assert.equal(evaluate("contains(words, 'c')", scope), false);
    assert.equal(evaluate('contains([{a: 1}, [2]], {a: 1})'), true);
    assert.equal(evaluate('contains([{a: 1}], {a: 2})'), false);
    assert.equal(evaluate("contains(missing, 'x')"), false);
    expectRuntimeError("contains(5, 'x')", /contains\(\) expects a string or an array/);
  });

  it('startsWith and endsWith', () => {
    assert.equal(evaluate("startsWith('baton', 'bat')"), true);
    assert.equal(evaluate("endsWith('baton', 'ton')"), true);
    assert.equal(evaluate("endsWith('baton', 'bat')"), false);
    assert.equal(evaluate("startsWith(missing, 'x')"), false);
    expectRuntimeError('startsWith(1, 1)', /startsWith\(\) expects a string as argument 1, got number/);
    expectRuntimeError("endsWith('a', 1)", /endsWith\(\) expects a string as argument 2, got number/);
  });

  it('lower, upper and trim', () => {
    assert.equal(evaluate('lower(text)', scope), '  hello world  ');
    assert.equal(evaluate('upper(text)', scope), '  HELLO WORLD  ');
    assert.equal(evaluate('trim(text)', scope), 'Hello World');
    assert.equal(evaluate('trim(missing)'), '');
    expectRuntimeError('upper(1)', /upper\(\) expects a string as argument 1, got number/);
  });

  it('split and join', () => {
    assert.deepEqual(evaluate("split('a,b,c', ',')"), ['a', 'b', 'c']);
    assert.deepEqual(evaluate("split(missing, ',')"), []);
    assert.equal(evaluate('join(list)', scope), '3,1,2');
    assert.equal(evaluate("join(['a', 1, null, {b: 2}], ' | ')"), 'a | 1 |  | {"b":2}');
    assert.equal(evaluate("join(missing, '-')"), '');
    expectRuntimeError("split('a', 1)", /split\(\) expects a string as argument 2/);
    expectRuntimeError("join('abc')", /join\(\) expects an array as argument 1, got string/);
  });

  it('keys and values', () => {
    assert.deepEqual(evaluate('keys(obj)', scope), ['a', 'b']);
    assert.deepEqual(evaluate('values(obj)', scope), [1, 'two']);
    assert.deepEqual(evaluate('keys(missing)'), []);
    expectRuntimeError('keys(list)', /keys\(\) expects an object as argument 1, got array/, scope);
  });

  it('toJSON and fromJSON', () => {
    assert.equal(evaluate('toJSON(obj)', scope), '{"a":1,"b":"two"}');
    assert.equal(evaluate('toJSON(list, 2)', scope), '[\n  3,\n  1,\n  2\n]');
    assert.equal(evaluate('toJSON(missing)'), 'null');
    assert.deepEqual(evaluate(`fromJSON('{"x": [1, true]}')`), { x: [1, true] });
    expectRuntimeError("fromJSON('{broken')", /fromJSON\(\) got invalid JSON/);
    expectRuntimeError('fromJSON(1)', /fromJSON\(\) expects a string/);
    expectRuntimeError('toJSON(1, 20)', /indent must be between 0 and 10/);
  });

  it('format', () => {
    assert.equal(evaluate("format('{0} and {1}', 'a', 2)"), 'a and 2');
    assert.equal(evaluate("format('{1}{0}{1}', 'x', '-')"), '-x-');
    assert.equal(evaluate("format('{{literal}} {0}', null)"), '{literal} ');
    assert.equal(evaluate("format('{0}', [1])"), '[1]');
    expectRuntimeError("format('{2}', 'a')", /placeholder \{2\} has no argument \(1 given\)/);
    expectRuntimeError('format(1)', /format\(\) expects a string as argument 1/);
  });

  it('min, max and sum', () => {
    assert.equal(evaluate('min(3, 1, 2)'), 1);
    assert.equal(evaluate('max(list)', scope), 3);
    assert.equal(evaluate('min()'), null);
    assert.equal(evaluate('sum(list)', scope), 6);
    assert.equal(evaluate('sum([])'), 0);
    expectRuntimeError("max(1, '2')", /max\(\) expects a number as argument 2, got string/);
    expectRuntimeError("sum([1, 'x'])", /sum\(\) expects an array of numbers, found string/);
  });

  it('round, floor, ceil and abs', () => {
    assert.equal(evaluate('round(2.5)'), 3);
    assert.equal(evaluate('round(-2.5)'), -3);
    assert.equal(evaluate('round(1.005, 2)'), 1.01);
    assert.equal(evaluate('round(1234, -2)'), 1200);
    assert.equal(evaluate('round(1e-7, 3)'), 0);
    assert.equal(evaluate('floor(1.7)'), 1);
    assert.equal(evaluate('ceil(1.2)'), 2);
    assert.equal(evaluate('abs(-4)'), 4);
    expectRuntimeError("round('1')", /round\(\) expects a number/);
    expectRuntimeError('round(1, 0.5)', /round\(\) expects an integer as argument 2/);
    expectRuntimeError('abs(null)', /abs\(\) expects a number as argument 1, got null/);
  });

  it('number, string and not', () => {
    assert.equal(evaluate("number(' 42 ')"), 42);
    assert.equal(evaluate("number('1e3')"), 1000);
    assert.equal(evaluate('number(true)'), 1);
    expectRuntimeError("number('abc')", /number\(\) cannot convert string "abc" to a number/);
    expectRuntimeError("number('')", /cannot convert/);
    expectRuntimeError('number(missing)', /cannot convert undefined/);
    assert.equal(evaluate('string(12)'), '12');
    assert.equal(evaluate('string(null)'), '');
    assert.equal(evaluate('string({a: [1]})'), '{"a":[1]}');
    assert.equal(evaluate('not(0)'), true);
    assert.equal(evaluate("not('x')"), false);
  });

  it('coalesce', () => {
    assert.equal(evaluate("coalesce(missing, null, 0, 'x')"), 0);
    assert.equal(evaluate('coalesce(missing, null)'), null);
    assert.equal(evaluate("coalesce(steps.a.output, 'default')", { steps: {} }), 'default');
  });

  it('slice', () => {
    assert.equal(evaluate("slice('baton', 1, 3)"), 'at');
    assert.equal(evaluate("slice('baton', -2)"), 'on');
    assert.deepEqual(evaluate('slice(list, 1)', scope), [1, 2]);
    assert.equal(evaluate('slice(missing, 1)'), undefined);
    expectRuntimeError('slice(obj, 1)', /slice\(\) expects a string or an array/, scope);
    expectRuntimeError("slice('a', '1')", /slice\(\) expects an integer as argument 2/);
  });

  it('unique and flatten', () => {
    assert.deepEqual(evaluate('unique(words)', scope), ['a', 'b']);
    assert.deepEqual(evaluate("unique([1, '1', 1, {a: 1}, {a: 1}, [2], [2]])"), [1, '1', { a: 1 }, [2]]);
    assert.deepEqual(evaluate('flatten(nested)', scope), [1, 2, 3, 4, [5]]);
    assert.deepEqual(evaluate('flatten(missing)'), []);
    expectRuntimeError("unique('abc')", /unique\(\) expects an array/);
    expectRuntimeError('flatten(1)', /flatten\(\) expects an array/);
  });

  it('merge', () => {
    assert.deepEqual(evaluate('merge(obj, {b: 3, c: 4}, missing)', scope), { a: 1, b: 3, c: 4 });
    const merged = evaluate('merge(obj)', scope);
    assert.notEqual(merged, scope.obj);
    expectRuntimeError('merge(obj, list)', /merge\(\) expects an object as argument 2, got array/, scope);
  });

  it('range', () => {
    assert.deepEqual(evaluate('range(3)'), [0, 1, 2]);
    assert.deepEqual(evaluate('range(2, 5)'), [2, 3, 4]);
    assert.deepEqual(evaluate('range(-1)'), []);
    assert.equal((evaluate('range(100000)') as number[]).length, 100000);
    expectRuntimeError('range(100001)', /range\(\) would build 100001 elements; the limit is 100000/);
    expectRuntimeError('range(1.5)', /range\(\) expects an integer/);
  });

  it('checks argument counts at compile time, or at run time with spread', () => {
    expectCompileError('length()', 'EXPR_SYNTAX', /length\(\) takes 1 argument, got 0 at column 1/);
    expectCompileError("lower('a', 'b')", 'EXPR_SYNTAX', /lower\(\) takes 1 argument, got 2/);
    expectCompileError('slice(1)', 'EXPR_SYNTAX', /slice\(\) takes 2 to 3 arguments, got 1/);
    expectCompileError('coalesce()', 'EXPR_SYNTAX', /coalesce\(\) takes at least 1 argument/);
    expectRuntimeError('lower(...list)', /lower\(\) takes 1 argument, got 3/, scope);
  });
});

describe('caller-supplied functions', () => {
  const functions = {
    success: () => true,
    failure: () => false,
    add: (a: unknown, b: unknown) => Number(a) + Number(b),
  };

  it('are called with evaluated arguments', () => {
    assert.equal(evaluate('success() && !failure()', {}, { functions }), true);
    assert.equal(evaluate('add(1, x)', { x: 2 }, { functions }), 3);
    assert.equal(evaluate('add(...[1, 2])', {}, { functions }), 3);
  });

  it('never replace a built-in of the same name', () => {
    assert.equal(evaluate("length('abc')", {}, { functions: { length: () => 99 } }), 3);
  });

  it('fail at run time when missing or not a function', () => {
    expectRuntimeError('success()', /Unknown function "success".*in expression "success\(\)"/);
    expectRuntimeError('success()', /Unknown function "success"/, {}, { functions: { success: 1 as never } });
  });

  it('propagate BatonErrors with their own code and wrap other errors', () => {
    const own = new BatonError('CANCELLED', 'stop');
    assert.throws(
      () =>
        evaluate(
          'boom()',
          {},
          {
            functions: {
              boom: () => {
                throw own;
              },
            },
          },
        ),
      (error) => error === own,
    );
    expectRuntimeError(
      'boom()',
      /Evaluation failed: bad in expression "boom\(\)"/,
      {},
      {
        functions: {
          boom: () => {
            throw new TypeError('bad');
          },
        },
      },
    );
  });
});
