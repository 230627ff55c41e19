/** The scale-out keys of the language: a step's `queue` and `priority`, a workflow's `limits`. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadWorkflowText } from '../../src/language/index.ts';
import { issuesOf, registry, summarize, yaml } from './fixtures.ts';

describe('queue, priority and limits', () => {
  test('are normalised onto the step and the workflow, nested steps included', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: scaled',
        'limits: { concurrentSteps: 4 }',
        'steps:',
        '  - id: render',
        '    task: render',
        '    queue: gpu',
        '    priority: 10',
        '  - id: each',
        '    each:',
        '      items: [1, 2]',
        '      do:',
        '        - { id: inner, task: t, queue: cpu.small, priority: -5 }',
        '  - id: plain',
        '    task: t',
      ),
      { registry },
    );
    assert.deepEqual(definition.limits, { concurrentSteps: 4 });
    const [render, each, plain] = definition.steps;
    assert.deepEqual([render.queue, render.priority], ['gpu', 10]);
    assert.deepEqual([each.blocks[0].steps[0].queue, each.blocks[0].steps[0].priority], ['cpu.small', -5]);
    assert.ok(
      !('queue' in plain) && !('priority' in plain),
      'absent keys stay absent (hashes of older definitions do not change)',
    );
  });

  test('bad values are reported where they are written', () => {
    const issues = summarize(
      issuesOf(
        yaml(
          'name: bad',
          'limits: { concurrentSteps: 0, concurentRuns: 2 }',
          'steps:',
          '  - id: a',
          '    task: t',
          '    queue: "has space"',
          '    priority: 1.5',
          '  - id: b',
          '    task: t',
          '    priority: 5000',
        ),
      ),
    );
    assert.equal(issues.length, 5, issues.join('\n'));
    assert.match(issues[0], /^2:.* limits\.concurrentSteps: concurrentSteps must be at least 1/);
    assert.match(issues[1], /^2:.* limits\.concurentRuns: unknown key "concurentRuns"/);
    assert.match(issues[2], /^6:.* steps\[0\]\.queue: a queue name must start with a letter or digit/);
    assert.match(issues[3], /^7:.* steps\[0\]\.priority: expected a whole number/);
    assert.match(issues[4], /^10:.* steps\[1\]\.priority: priority must be between -1000 and 1000/);
  });
});
