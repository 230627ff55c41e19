/**
 * Block instances may depend on each other (`after`): the mechanism a dynamic plan uses to
 * run tasks in dependency waves. A dependent starts only after its dependencies finished,
 * independent instances overlap, and a failed dependency skips its dependents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { BatonError } from '../../src/errors.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import type { StepKind } from '../../src/kinds/types.ts';
import { type TestEngine, testEngine } from '../helpers/engine.ts';

interface WavesConfig {
  tasks: { name: string; needs: string[] }[];
  steps: unknown[];
}

const wavesKind: StepKind<WavesConfig> = {
  key: 'waves',
  description: 'test kind: one body instance per task, ordered by task dependencies',
  schema: (kit) =>
    z.strictObject({
      tasks: z.array(z.strictObject({ name: z.string(), needs: z.array(z.string()).default([]) })),
      steps: kit.stepList,
    }) as unknown as z.ZodType<WavesConfig>,
  blocks: (config) => [{ key: 'body', steps: config?.steps ?? [], path: ['steps'] }],
  blockVariables: () => ['task'],
  start: (ctx) => {
    const index = new Map(ctx.config.tasks.map((task, i) => [task.name, i]));
    return {
      type: 'blocks',
      instances: ctx.config.tasks.map((task) => ({
        blockKey: 'body',
        vars: { task: task.name },
        after: task.needs.map((name) => index.get(name)!),
      })),
    };
  },
  onBlocksDone: (ctx) => ({
    type: 'complete',
    output: Object.fromEntries(ctx.results.map((r) => [String(r.vars.task), r.statuses.work ?? 'none'])),
  }),
};

describe('block instances with dependencies', () => {
  let t: TestEngine;
  const log: string[] = [];
  before(async () => {
    t = await testEngine({ registry: createBuiltinRegistry().register(wavesKind) });
    t.engine.registerTask('work', async (input: { task: string }) => {
      log.push(`start ${input.task}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      log.push(`end ${input.task}`);
      if (input.task === 'broken') throw new BatonError('BROKEN', 'task broke', { retryable: false });
      return input.task;
    });
  });
  after(() => t.close());

  test('run in dependency waves with maximal overlap', async () => {
    log.length = 0;
    const name = await t.define(`
name: waves
steps:
  - id: plan
    waves:
      tasks:
        - { name: c, needs: [a, b] }
        - { name: a }
        - { name: b }
        - { name: d, needs: [c] }
        - { name: e, needs: [c] }
      steps:
        - { id: work, task: work, input: { task: "\${{ task }}" } }
output: \${{ steps.plan.output }}
`);
    assert.deepEqual(await t.engine.run(name), {
      c: 'completed',
      a: 'completed',
      b: 'completed',
      d: 'completed',
      e: 'completed',
    });
    const at = (entry: string) => log.indexOf(entry);
    assert.ok(at('start c') > at('end a') && at('start c') > at('end b'), log.join(', '));
    assert.ok(at('start d') > at('end c') && at('start e') > at('end c'), log.join(', '));
    assert.ok(at('start b') < at('end a'), 'a and b overlapped');
    assert.ok(at('start e') < at('end d'), 'd and e overlapped');
  });

  test('a failed dependency skips its dependents but not independent tasks', async () => {
    log.length = 0;
    const name = await t.define(`
name: waves-fail
steps:
  - id: plan
    waves:
      tasks:
        - { name: broken }
        - { name: after_broken, needs: [broken] }
        - { name: independent }
      steps:
        - { id: work, task: work, input: { task: "\${{ task }}" } }
    continueOnError: true
output: \${{ steps.plan.output }}
`);
    const handle = await t.engine.start(name);
    await handle.result().catch(() => undefined);
    const run = await t.engine.getRun(handle.id);
    const statuses = Object.fromEntries(run.steps.map((s) => [s.path, s.status]));
    assert.equal(statuses['plan[0]/work'], 'failed');
    assert.equal(statuses['plan[1]/work'], 'skipped');
    assert.equal(statuses['plan[2]/work'], 'completed');
    assert.ok(!log.includes('start after_broken'));
  });
});
