import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expr, workflow } from '../../src/builder/workflow-builder.ts';
import type { BatonError } from '../../src/errors.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { hashDefinition, loadWorkflowText } from '../../src/language/index.ts';
import { testEngine } from '../helpers/engine.ts';

const yaml = `
name: digest
version: 1.2.0
inputs:
  urls: { type: array }
  tone: { type: string, default: neutral }
defaults:
  retry: { attempts: 3, delay: 2s }
  timeout: 1m
steps:
  - id: fetch
    map:
      items: \${{ inputs.urls }}
      concurrency: 4
      steps:
        - { id: get, task: fetchPage, input: { url: "\${{ item }}" } }
  - id: summary
    needs: [fetch]
    script: "return input.pages.length"
    input: { pages: "\${{ steps.fetch.output }}" }
  - id: review
    needs: [summary]
    approval: { message: "Send \${{ steps.summary.output }} pages?", timeout: 1d, onTimeout: reject }
  - id: send
    needs: [review]
    if: \${{ steps.review.output.approved }}
    set: { sent: true, tone: "\${{ inputs.tone }}" }
output: \${{ steps.send.output }}
`;

function built() {
  return workflow('digest', { version: '1.2.0' })
    .input('urls', { type: 'array' })
    .input('tone', { type: 'string', default: 'neutral' })
    .defaults({ retry: { attempts: 3, delay: '2s' }, timeout: '1m' })
    .map('fetch', {
      items: expr('inputs.urls'),
      concurrency: 4,
      steps: (s) => s.task('get', 'fetchPage', { input: { url: expr('item') } }),
    })
    .script('summary', 'return input.pages.length', {
      needs: ['fetch'],
      input: { pages: expr('steps.fetch.output') },
    })
    .approval(
      'review',
      { message: 'Send ${{ steps.summary.output }} pages?', timeout: '1d', onTimeout: 'reject' },
      { needs: ['summary'] },
    )
    .set(
      'send',
      { sent: true, tone: expr('inputs.tone') },
      { needs: ['review'], if: expr('steps.review.output.approved') },
    )
    .output(expr('steps.send.output'));
}

test('the builder produces the same definition and hash as the YAML file', () => {
  const registry = createBuiltinRegistry();
  const fromYaml = loadWorkflowText(yaml, { registry });
  const fromBuilder = built().build(registry);
  assert.deepEqual(fromBuilder, fromYaml);
  assert.equal(hashDefinition(fromBuilder), hashDefinition(fromYaml));
});

test('a builder mistake is reported like a file mistake', () => {
  assert.throws(
    () =>
      workflow('broken')
        .set('a', 1)
        .set('b', 2, { needs: ['a'] })
        .step('c', 'htp', {})
        .build(),
    (error: BatonError) => error.code === 'WORKFLOW_INVALID' && /did you mean "http"/.test(error.message),
  );
});

test('a built workflow runs', async () => {
  const t = await testEngine();
  try {
    const definition = workflow('built-run')
      .input('n', 'number')
      .set('double', expr('inputs.n * 2'))
      .loop('count', {
        maxIterations: 10,
        until: expr('steps.step.output >= 3'),
        steps: (s) => s.set('step', expr('loop.index + 1')),
      })
      .output({ double: expr('steps.double.output'), count: expr('steps.count.output') })
      .build();
    assert.deepEqual(await t.engine.run(definition, { n: 21 }), { double: 42, count: 3 });
  } finally {
    await t.close();
  }
});
