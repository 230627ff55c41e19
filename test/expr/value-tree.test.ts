// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileValue } from '../../src/expr/index.ts';
import { expectError } from './helpers.ts';

const scope = { inputs: { topic: 'ai', tags: ['a', 'b'] }, steps: { search: { output: { n: 2 } } } };

describe('compileValue', () => {
  it('evaluates every string in a nested tree into a new tree', () => {
    const definition = {
      http: { url: 'https://x.test/?q=${{ inputs.topic }}', method: 'GET', headers: { accept: 'json' } },
      items: '${{ inputs.tags }}',
      count: '${{ steps.search.output.n + 1 }}',
      list: [1, 'two', '${{ inputs.topic }}', { deep: ['${{ length(inputs.tags) }}'] }],
      enabled: true,
      nothing: null,
    };
    const compiled = compileValue(definition);
    assert.equal(compiled.isDynamic, true);
    const result = compiled.evaluate(scope) as typeof definition;
    assert.deepEqual(result, {
      http: { url: 'https://x.test/?q=ai', method: 'GET', headers: { accept: 'json' } },
      items: ['a', 'b'],
      count: 3,
      list: [1, 'two', 'ai', { deep: [2] }],
      enabled: true,
      nothing: null,
    });
    assert.notEqual(result, definition);
    assert.equal(definition.http.url, 'https://x.test/?q=${{ inputs.topic }}');
  });

  it('returns static subtrees as the very same objects', () => {
    const definition = {
      fixed: { a: [1, 2], b: { c: 'text' } },
      list: [{ x: 1 }, '${{ inputs.topic }}'],
      dynamic: '${{ 1 }}',
    };
    const result = compileValue(definition).evaluate(scope) as Record<string, unknown>;
    assert.equal(result.fixed, definition.fixed);
    assert.equal((result.list as unknown[])[0], definition.list[0]);
    assert.notEqual(result.list, definition.list);
  });

  it('returns a fully static tree itself', () => {
    const definition = { a: [1, { b: 'c' }], d: 'no expressions here' };
    const compiled = compileValue(definition);
    assert.equal(compiled.isDynamic, false);
    assert.equal(compiled.evaluate(scope), definition);
    assert.equal(compileValue(5).evaluate(scope), 5);
    assert.equal(compileValue(null).evaluate(scope), null);
    assert.equal(compileValue('${{ inputs.topic }}').evaluate(scope), 'ai');
  });

  it('collects references across the tree', () => {
    const compiled = compileValue({
      a: '${{ steps.search.output.n }}',
      b: ['${{ inputs.topic }} ${{ length(steps.fetch.output) }}'],
    });
    assert.deepEqual(compiled.references, {
      roots: ['steps', 'inputs'],
      steps: ['search', 'fetch'],
      functions: ['length'],
    });
  });

  it('names the location of a failing string in compile and runtime errors', () => {
    const compileError = expectError(
      () => compileValue({ steps: [{ with: { url: '${{ a + }}' } }] }),
      'EXPR_SYNTAX',
      /at steps\[0\]\.with\.url\)$/,
    );
    assert.equal(compileError.details.path, 'steps[0].with.url');
    const compiled = compileValue({ 'odd key': ['${{ fromJSON(raw) }}'] });
    const runtimeError = expectError(
      () => compiled.evaluate({ raw: '{' }),
      'EXPR_RUNTIME',
      /\(at \["odd key"\]\[0\]\)$/,
    );
    assert.equal(runtimeError.details.path, '["odd key"][0]');
  });

  it('applies compile options to every string', () => {
    expectError(
      () => compileValue({ a: ['${{ inptus.x }}'] }, { roots: ['inputs'] }),
      'EXPR_UNKNOWN_NAME',
      /did you mean "inputs"/,
    );
  });
});
