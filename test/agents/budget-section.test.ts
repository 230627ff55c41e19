/** The budget: section is validated when the workflow loads, with positions, and parsed for agent steps. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetOfSection } from '../../src/agents/budget.ts';
import type { BatonError } from '../../src/errors.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { type Issue, loadWorkflowText } from '../../src/language/index.ts';

test('mistakes in the budget: section are reported at load time with positions', () => {
  const text = [
    'name: bad-budget',
    'budget:',
    '  usd: -2',
    '  onExceed: wait',
    '  perWorkflow: { window: soon }',
    'steps:',
    '  - { id: s, set: 1 }',
  ].join('\n');
  assert.throws(
    () => loadWorkflowText(text, { registry: createBuiltinRegistry(), file: 'bad.yaml' }),
    (error: BatonError) => {
      const issues = error.details.issues as Issue[];
      const at = (path: string) => issues.find((issue) => issue.path.join('.') === path);
      assert.equal(at('budget.usd')?.line, 3);
      assert.equal(at('budget.onExceed')?.line, 4);
      assert.ok(at('budget.perWorkflow.window'));
      return true;
    },
  );
});

test('a budget is parsed into run and workflow limits with the window in milliseconds', () => {
  assert.deepEqual(
    budgetOfSection({
      usd: 2,
      onExceed: 'pause',
      perWorkflow: { tokens: 1_000_000, window: '24h' },
      reviewers: ['ops'],
    }),
    {
      limits: { run: { usd: 2 }, workflow: { tokens: 1_000_000, windowMs: 86_400_000 } },
      onExceed: 'pause',
      reviewers: ['ops'],
    },
  );
  assert.deepEqual(budgetOfSection({ tokens: 500 }), { limits: { run: { tokens: 500 } }, onExceed: 'fail' });
  assert.equal(budgetOfSection(undefined), undefined);
  assert.match(String(budgetOfSection({ onExceed: 'pause' })), /a budget needs usd, tokens or perWorkflow/);
});
