// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression, compileTemplate } from '../../src/expr/index.ts';

function referencesOf(source: string) {
  return compileExpression(source).references;
}

describe('references', () => {
  it('lists roots, static step ids and called functions in order of first use', () => {
    assert.deepEqual(
      referencesOf("steps.review.output.approved && length(inputs.items) > 0 || steps['fetch'].ok"),
      {
        roots: ['steps', 'inputs'],
        steps: ['review', 'fetch'],
        functions: ['length'],
      },
    );
  });

  it('ignores dynamic step ids and de-duplicates', () => {
    assert.deepEqual(referencesOf('steps[item.id].output || steps.a.x || steps.a.y'), {
      roots: ['steps', 'item'],
      steps: ['a'],
      functions: [],
    });
  });

  it('finds references inside calls, literals, spreads and ternaries', () => {
    assert.deepEqual(referencesOf('cond ? format(fmt, ...args) : {key, v: [steps.s1.output, success()]}'), {
      roots: ['cond', 'fmt', 'args', 'key', 'steps'],
      steps: ['s1'],
      functions: ['format', 'success'],
    });
  });

  it('does not count undefined, literals or property names as roots', () => {
    assert.deepEqual(referencesOf("undefined ?? {inputs: 1}.inputs ?? 'steps'"), {
      roots: [],
      steps: [],
      functions: [],
    });
  });

  it('merges references of every expression in a template', () => {
    assert.deepEqual(
      compileTemplate('${{ inputs.a }} and ${{ steps.b.output }} ${{ upper(inputs.c) }}').references,
      {
        roots: ['inputs', 'steps'],
        steps: ['b'],
        functions: ['upper'],
      },
    );
  });

  it('returns frozen arrays', () => {
    const references = referencesOf('a.b');
    assert.ok(Object.isFrozen(references.roots));
  });
});
