// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * The `plan` kind: a task list with dependencies, checked (duplicate ids, unknown
 * dependencies, cycles fail the step, not retried) and expanded into body instances that
 * run in dependency waves; output keyed by task id; a failed task skips its dependents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { planKind } from '../../src/kinds/plan.ts';
import { type TestEngine, testEngine } from '../helpers/engine.ts';
import { configIssues, startContext } from './harness.ts';

const body = [{ id: 'work' }];

function start(tasks: unknown) {
  return planKind.start(
    startContext(
      planKind,
      { tasks: '${{ inputs.tasks }}', steps: body },
      { inputs: { tasks: tasks as never } },
    ),
  );
}

function failure(tasks: unknown): { code: string; message: string; retryable: boolean } {
  const outcome = start(tasks);
  if (outcome.type !== 'fail') return assert.fail(`expected a failure, got ${outcome.type}`);
  return outcome.error;
}

describe('plan kind: checking and expanding the plan', () => {
  it('expands tasks into instances that wait for the tasks they need, and notes the waves', () => {
    const outcome = start([
      { id: 'ship', needs: ['build', 'docs'] },
      { id: 'design', title: 'Design it' },
      { id: 'build', needs: ['design'] },
      { id: 'docs', needs: ['design'] },
    ]);
    assert.deepEqual(outcome, {
      type: 'blocks',
      instances: [
        {
          blockKey: 'body',
          vars: { task: { id: 'ship', needs: ['build', 'docs'] }, index: 0 },
          after: [2, 3],
        },
        { blockKey: 'body', vars: { task: { id: 'design', title: 'Design it' }, index: 1 } },
        { blockKey: 'body', vars: { task: { id: 'build', needs: ['design'] }, index: 2 }, after: [1] },
        { blockKey: 'body', vars: { task: { id: 'docs', needs: ['design'] }, index: 3 }, after: [1] },
      ],
      note: { tasks: ['ship', 'design', 'build', 'docs'], waves: [['design'], ['build', 'docs'], ['ship']] },
    });
  });

  it('an empty plan completes at once with {}', () => {
    assert.deepEqual(start([]), { type: 'complete', output: {}, note: { tasks: [] } });
  });

  it('a wrong plan fails with a clear, non-retryable error', () => {
    const cycle = failure([
      { id: 'a', needs: ['c'] },
      { id: 'b', needs: ['a'] },
      { id: 'c', needs: ['b'] },
    ]);
    assert.equal(cycle.code, 'PLAN_CYCLE');
    assert.equal(cycle.retryable, false);
    assert.match(cycle.message, /cycle: a → c → b → a/);
    const unknown = failure([{ id: 'a', needs: ['ghost'] }]);
    assert.equal(unknown.code, 'PLAN_UNKNOWN_DEPENDENCY');
    assert.match(unknown.message, /task "a" needs "ghost", which is not a task of the plan/);
    assert.equal(failure([{ id: 'a' }, { id: 'a' }]).code, 'PLAN_DUPLICATE_TASK');
    assert.match(failure({ tasks: [] }).message, /tasks must evaluate to a list .* but got an object/);
    assert.match(failure([{ title: 'no id' }]).message, /task 0 needs an "id"/);
    assert.match(failure([{ id: 'a', needs: 'b' }]).message, /"needs" must be a list of task ids/);
    assert.equal(failure([{ id: 'self', needs: ['self'] }]).code, 'PLAN_CYCLE');
  });

  it('validates its config', () => {
    assert.deepEqual(configIssues(planKind, { tasks: [], steps: body, as: 'steps' }), [
      'as: this name is already used inside a plan body',
    ]);
    assert.ok(configIssues(planKind, { tasks: [], steps: body, onTaskError: 'ignore' }).length > 0);
  });
});

describe('plan kind in the engine', () => {
  let t: TestEngine;
  const log: string[] = [];
  before(async () => {
    t = await testEngine();
    t.engine.registerTask('work', async (input: { id: string; title?: string }) => {
      log.push(`start ${input.id}`);
      await new Promise((resolve) => setTimeout(resolve, 15));
      log.push(`end ${input.id}`);
      if (input.id.startsWith('broken'))
        throw new BatonError('BROKEN', `${input.id} broke`, { retryable: false });
      return `${input.title ?? input.id} done`;
    });
  });
  after(() => t.close());

  const workflow = (name: string, planExtra = '') => `
name: ${name}
inputs:
  tasks: { type: array }
steps:
  - id: execute
    plan:
      tasks: \${{ inputs.tasks }}
      ${planExtra}
      steps:
        - { id: work, task: work, input: { id: "\${{ task.id }}", title: "\${{ task.title }}" } }
output: \${{ steps.execute.output }}
`;

  it('runs tasks in dependency waves with maximal overlap; the output is keyed by task id', async () => {
    log.length = 0;
    const name = await t.define(workflow('plan-waves'));
    const output = await t.engine.run(name, {
      tasks: [
        { id: 'ship', needs: ['build', 'docs'] },
        { id: 'design', title: 'Design' },
        { id: 'build', needs: ['design'], title: 'Build' },
        { id: 'docs', needs: ['design'] },
      ],
    });
    assert.deepEqual(output, {
      ship: 'ship done',
      design: 'Design done',
      build: 'Build done',
      docs: 'docs done',
    });
    const at = (entry: string) => log.indexOf(entry);
    assert.ok(at('start build') > at('end design') && at('start docs') > at('end design'), log.join(', '));
    assert.ok(at('start ship') > at('end build') && at('start ship') > at('end docs'), log.join(', '));
    assert.ok(at('start docs') < at('end build'), 'build and docs overlapped');
  });

  it('a failed task skips the tasks that need it and fails the step with its error', async () => {
    log.length = 0;
    const name = await t.define(workflow('plan-fail'));
    const handle = await t.engine.start(name, {
      tasks: [{ id: 'broken' }, { id: 'after', needs: ['broken'] }, { id: 'free' }],
    });
    await assert.rejects(handle.result(), /broken broke/);
    const run = await t.engine.getRun(handle.id);
    assert.equal(run.error?.code, 'BROKEN');
    assert.equal(run.error?.details?.task, 'broken');
    const statuses = Object.fromEntries(run.steps.map((s) => [s.path, s.status]));
    assert.equal(statuses['execute[1]/work'], 'skipped');
    assert.equal(statuses['execute[2]/work'], 'completed');
    assert.ok(!log.includes('start after'));
  });

  it('onTaskError: continue gives null for failed and skipped tasks', async () => {
    const name = await t.define(workflow('plan-continue', 'onTaskError: continue'));
    const handle = await t.engine.start(name, {
      tasks: [{ id: 'broken2' }, { id: 'after', needs: ['broken2'] }, { id: 'free', title: 'Free' }],
    });
    assert.deepEqual(await handle.result(), { broken2: null, after: null, free: 'Free done' });
    const step = (await t.engine.getRun(handle.id)).steps.find((s) => s.path === 'execute');
    const note = step?.detail?.note as Record<string, unknown> | undefined;
    assert.deepEqual(note?.failedTasks, ['broken2']);
    assert.deepEqual(note?.skippedTasks, ['after']);
  });

  it('a plan with a cycle fails the run once, without running any task', async () => {
    log.length = 0;
    const name = await t.define(workflow('plan-cycle'));
    const handle = await t.engine.start(name, {
      tasks: [
        { id: 'a', needs: ['b'] },
        { id: 'b', needs: ['a'] },
      ],
    });
    await assert.rejects(handle.result(), /dependencies form a cycle: a → b → a/);
    const run = await t.engine.getRun(handle.id);
    assert.equal(run.error?.code, 'PLAN_CYCLE');
    assert.deepEqual(log, []);
  });
});
