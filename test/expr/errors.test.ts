// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression, compileTemplate } from '../../src/expr/index.ts';
import { expectCompileError, expectError, expectRuntimeError } from './helpers.ts';

describe('syntax errors', () => {
  it('report the 1-based column inside the original string', () => {
    const error = expectCompileError('length(inputs)) + 1', 'EXPR_SYNTAX');
    assert.equal(error.message, 'Unexpected token ")" at column 15 in expression "length(inputs)) + 1"');
    assert.deepEqual(error.details, { expression: 'length(inputs)) + 1', column: 15 });
  });

  it('count columns from the start of the template, not of the expression', () => {
    const source = 'Hello ${{ inputs.name ) }}';
    const error = expectError(() => compileTemplate(source), 'EXPR_SYNTAX');
    assert.equal(error.details.column, 23);
    assert.equal(source[22], ')');
    assert.match(
      error.message,
      /Unexpected token "\)" at column 23 in expression "Hello \$\{\{ inputs.name \) \}\}"/,
    );
    const wrapped = expectError(() => compileExpression('${{ a + }}'), 'EXPR_SYNTAX');
    assert.match(wrapped.message, /Expected an expression after "\+" at column 9/);
  });

  it('points at the offending token for common mistakes', () => {
    const cases: Array<[string, RegExp]> = [
      ['length(a,)', /Unexpected token "\)" at column 10/],
      ['a b', /Unexpected token "b" at column 3/],
      ['a;', /Unexpected token ";" at column 2/],
      [', a', /Unexpected token "," at column 1/],
      ['(a, b)', /Unexpected token "," at column 3/],
      ['f(a b)', /Expected "," at column 5/],
      ['[1 2]', /Expected "," at column 4/],
      ['[1,,2]', /Empty element in list at column 3/],
      ['{a: 1 b: 2}', /Expected "," at column 7/],
      ['{[a, b]: 1}', /Expected "\]" at column 4/],
      ['{a.b: 1}', /Object keys must be names, strings, numbers or \[computed\] at column 2/],
      ['(a', /Unclosed "\(" at column 3/],
      ['a[1', /Unclosed "\[" at column 4/],
      ["'abc", /Unterminated string literal/],
      ['a ? b', /Expected ":"/],
      ['{a: 1', /Expected "\}"/],
      ['a | b', /Operator "\|" is not supported at column 3/],
      ['a  >>  b', /Operator ">>" is not supported at column 4/],
      ['~a', /Operator "~" is not supported at column 1/],
      ['a.b.c.toUpperCase()', /Method calls are not supported \("toUpperCase\(…\)"\).* at column 7/],
      ['...a', /Spread \("\.\.\."\) is only allowed/],
      ['1a', /Variable names cannot start with a number/],
      ['  ', /Empty expression at column 1/],
      ['a.', /Unexpected end of expression at column 3/],
      ['a in b', /Unexpected token "in" at column 3/],
      ['typeof a', /Unexpected token "a" at column 8/],
      ['`x`', /Unexpected token "`" at column 1/],
    ];
    for (const [source, message] of cases) expectCompileError(source, 'EXPR_SYNTAX', message);
  });

  it('reports an unterminated ${{ at its opening', () => {
    const error = expectError(
      () => compileTemplate('ok ${{ inputs.x'),
      'EXPR_SYNTAX',
      /Unterminated "\$\{\{"/,
    );
    assert.equal(error.details.column, 4);
    expectError(
      () => compileTemplate("${{ 'abc }}"),
      'EXPR_SYNTAX',
      /Unterminated string literal at column 5/,
    );
    expectError(() => compileTemplate('${{ }}'), 'EXPR_SYNTAX', /Empty expression at column 4/);
  });

  it('rejects text mixed with ${{ }} where a single expression is expected', () => {
    expectError(() => compileExpression('a ${{ b }}'), 'EXPR_SYNTAX', /Expected one expression/);
    expectError(() => compileExpression('${{ a }}${{ b }}'), 'EXPR_SYNTAX', /Expected one expression/);
  });

  it('limits the length of one expression', () => {
    const long = `\${{ ${'a'.repeat(10_001)} }}`;
    expectError(
      () => compileTemplate(long),
      'EXPR_SYNTAX',
      /too long \(10003 characters; the limit is 10000\)/,
    );
    assert.doesNotThrow(() => compileTemplate(`${'text '.repeat(5000)}\${{ a }}`));
  });
});

describe('unknown names and functions', () => {
  const options = { roots: ['inputs', 'steps', 'item'], functions: ['success', 'failure'] };

  it('rejects unknown roots with a did-you-mean suggestion', () => {
    const error = expectCompileError('inptus.topic', 'EXPR_UNKNOWN_NAME', /did you mean "inputs"\?/, options);
    assert.match(error.message, /^Unknown name "inptus" at column 1 in expression "inptus.topic"/);
    assert.equal(error.details.suggestion, 'inputs');
    assert.equal(error.details.column, 1);
    const nested = expectCompileError(
      'length(stpes.a.output) > 1',
      'EXPR_UNKNOWN_NAME',
      /did you mean "steps"/,
      options,
    );
    assert.equal(nested.details.column, 8);
    expectCompileError('{itm}', 'EXPR_UNKNOWN_NAME', /did you mean "item"/, options);
  });

  it('lists the known names when nothing is close', () => {
    const error = expectCompileError(
      'zzzzzz',
      'EXPR_UNKNOWN_NAME',
      /known names: inputs, item, steps$/,
      options,
    );
    assert.equal(error.details.suggestion, undefined);
  });

  it('rejects unknown functions with a did-you-mean suggestion, including caller-supplied names', () => {
    expectCompileError(
      'lenght(inputs)',
      'EXPR_UNKNOWN_FUNCTION',
      /Unknown function "lenght".*did you mean "length"\?/,
      options,
    );
    expectCompileError('sucess()', 'EXPR_UNKNOWN_FUNCTION', /did you mean "success"\?/, options);
    assert.doesNotThrow(() => compileExpression('success() && length(inputs) > 0', options));
  });

  it('does not restrict names when no options are given', () => {
    assert.doesNotThrow(() => compileExpression('anything.goes && custom()'));
    assert.doesNotThrow(() => compileExpression('undefined', { roots: [] }));
  });
});

describe('runtime errors', () => {
  it('name the expression that failed', () => {
    const error = expectRuntimeError(
      'fromJSON(inputs.raw)',
      /^fromJSON\(\) got invalid JSON: .* in expression "fromJSON\(inputs.raw\)"$/,
      {
        inputs: { raw: '{nope' },
      },
    );
    assert.equal(error.details.expression, 'fromJSON(inputs.raw)');
    assert.equal(error.details.function, 'fromJSON');
  });

  it('name the failing expression inside a template', () => {
    const template = compileTemplate('ok ${{ 1 }} then ${{ upper(n) }}');
    const error = expectError(() => template.evaluate({ n: 5 }), 'EXPR_RUNTIME');
    assert.match(
      error.message,
      /upper\(\) expects a string as argument 1, got number in expression "upper\(n\)"/,
    );
  });

  it('report calling an unknown function', () => {
    expectRuntimeError('always()', /Unknown function "always"/);
  });
});
