import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BatonError } from '../../src/errors.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { type Issue, loadWorkflowText } from '../../src/language/index.ts';

test('mistakes in the agents: and tools: sections are reported at load time with positions', () => {
  const text = [
    'name: bad-agents',
    'agents:',
    '  researcher:',
    '    model: openai:gpt-4o-mini',
    '    instructons: typo here',
    'tools:',
    '  lookup:',
    '    description: find things',
    '    http: { url: 42 }',
    'steps:',
    '  - { id: r, agent: researcher, prompt: hi }',
  ].join('\n');
  assert.throws(
    () => loadWorkflowText(text, { registry: createBuiltinRegistry(), file: 'bad.yaml' }),
    (error: BatonError) => {
      const issues = error.details.issues as Issue[];
      const typo = issues.find((issue) => issue.path.join('.') === 'agents.researcher.instructons');
      assert.equal(typo?.line, 5);
      assert.equal(typo?.suggestion, 'instructions');
      assert.ok(issues.some((issue) => issue.path[0] === 'tools' && issue.path[1] === 'lookup'));
      return true;
    },
  );
});
