// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression, compileTemplate, hasExpression } from '../../src/expr/index.ts';

const scope = {
  inputs: { topic: 'ai', q: 'llm', count: 4, flag: false, nothing: null },
  steps: {
    review: { output: { approved: true, comment: 'ok' } },
    fetch: { output: { docs: [{ id: 1 }, { id: 2 }] } },
    search: { output: { hits: [1, 2, 3] } },
  },
};

describe('hasExpression', () => {
  it('detects ${{', () => {
    assert.equal(hasExpression('a ${{ b }}'), true);
    assert.equal(hasExpression('${ b } and {{ c }}'), false);
    assert.equal(hasExpression('plain'), false);
  });
});

describe('compileTemplate', () => {
  it('returns the raw value when the whole string is one expression', () => {
    assert.equal(
      compileTemplate('${{ steps.review.output.approved && inputs.count > 3 }}').evaluate(scope),
      true,
    );
    const docs = compileTemplate('${{ steps.fetch.output.docs }}').evaluate(scope);
    assert.equal(docs, scope.steps.fetch.output.docs);
    assert.equal(compileTemplate('${{inputs.count}}').evaluate(scope), 4);
    assert.equal(compileTemplate('${{ inputs.nothing }}').evaluate(scope), null);
    assert.equal(compileTemplate('${{ inputs.missing }}').evaluate(scope), undefined);
    assert.deepEqual(compileTemplate('${{ {a: inputs.topic} }}').evaluate(scope), { a: 'ai' });
  });

  it('interpolates into a string when there is surrounding text or several expressions', () => {
    const url = compileTemplate('https://api.example.com/prices?q=${{ inputs.topic }}');
    assert.equal(url.evaluate(scope), 'https://api.example.com/prices?q=ai');
    const message = compileTemplate('Found ${{ length(steps.search.output.hits) }} hits for ${{ inputs.q }}');
    assert.equal(message.evaluate(scope), 'Found 3 hits for llm');
    assert.equal(compileTemplate('${{ inputs.count }}${{ inputs.count }}').evaluate(scope), '44');
    assert.equal(compileTemplate(' ${{ inputs.count }}').evaluate(scope), ' 4');
  });

  it('converts interpolated values: strings as-is, null/undefined empty, objects as JSON', () => {
    const template = compileTemplate(
      '[${{ inputs.topic }}|${{ inputs.count }}|${{ inputs.flag }}|${{ inputs.nothing }}|${{ inputs.missing }}|${{ steps.fetch.output.docs }}|${{ {a: 1} }}]',
    );
    assert.equal(template.evaluate(scope), '[ai|4|false|||[{"id":1},{"id":2}]|{"a":1}]');
  });

  it('compiles a string without ${{ to a static template returning the string itself', () => {
    const template = compileTemplate('just text with {{ braces }} and $');
    assert.equal(template.isDynamic, false);
    assert.equal(template.evaluate(scope), 'just text with {{ braces }} and $');
    assert.deepEqual(template.references, { roots: [], steps: [], functions: [] });
    assert.equal(compileTemplate('${{ 1 }}').isDynamic, true);
  });

  it('finds the end of an expression past braces and strings containing }}', () => {
    assert.deepEqual(compileTemplate('${{ {a: {b: 1}} }}').evaluate({}), { a: { b: 1 } });
    assert.equal(compileTemplate("x${{ '}}' }}y").evaluate({}), 'x}}y');
    assert.equal(compileTemplate("${{ '${{' }}").evaluate({}), '${{');
    assert.equal(compileTemplate('${{ "a\\"}}" }}').evaluate({}), 'a"}}');
  });

  it('keeps its source', () => {
    const source = 'Hi ${{ inputs.topic }}';
    assert.equal(compileTemplate(source).source, source);
  });
});

describe('compileExpression', () => {
  it('accepts a bare expression or one wrapped in ${{ }}', () => {
    assert.equal(compileExpression('inputs.count > 3').evaluate(scope), true);
    assert.equal(compileExpression('${{ inputs.count > 3 }}').evaluate(scope), true);
    assert.equal(compileExpression('${{ inputs.count > 3 }}').source, '${{ inputs.count > 3 }}');
  });

  it('passes caller functions through evaluate options', () => {
    const compiled = compileExpression('always() || failure()');
    assert.equal(compiled.evaluate({}, { functions: { always: () => false, failure: () => 'f' } }), 'f');
  });
});
