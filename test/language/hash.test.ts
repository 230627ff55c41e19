import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashDefinition, loadWorkflowText } from '../../src/language/index.ts';
import { registry, yaml } from './fixtures.ts';

const load = (text: string) => loadWorkflowText(text, { registry });

describe('hashDefinition', () => {
  const base = load(
    yaml(
      'name: h',
      'inputs: { topic: { type: string, description: d } }',
      'steps:',
      '  - id: a',
      '    http: { url: "https://x", method: GET }',
      '    timeout: 1m',
    ),
  );

  test('is a sha256 hex digest, stable across calls', () => {
    assert.match(hashDefinition(base), /^[0-9a-f]{64}$/);
    assert.equal(hashDefinition(base), hashDefinition(structuredClone(base)));
  });

  test('the same content with other key order, formatting and equivalent durations hashes the same', () => {
    const reordered = load(
      yaml(
        'steps:',
        '  - http:',
        '      method: GET',
        '      url: https://x',
        '    timeout: 60000',
        '    id: a',
        'inputs:',
        '  topic: { description: d, type: string }',
        'name: h',
      ),
    );
    assert.equal(hashDefinition(reordered), hashDefinition(base));
  });

  test('different content hashes differently', () => {
    const other = load(
      yaml(
        'name: h',
        'inputs: { topic: { type: string, description: d } }',
        'steps:',
        '  - id: a',
        '    http: { url: "https://x", method: POST }',
        '    timeout: 1m',
      ),
    );
    assert.notEqual(hashDefinition(other), hashDefinition(base));
  });
});

test('equivalent nested steps hash the same (nested lists are normalised, not kept raw)', () => {
  const nested = (timeout: string) =>
    loadWorkflowText(
      yaml(
        'name: n',
        'steps:',
        '  - id: outer',
        '    each:',
        '      items: [1]',
        '      do:',
        `        - { id: inner, task: t, timeout: ${timeout} }`,
      ),
      { registry },
    );
  assert.equal(hashDefinition(nested('1m')), hashDefinition(nested('60000')));
  assert.notEqual(hashDefinition(nested('1m')), hashDefinition(nested('2m')));
});
