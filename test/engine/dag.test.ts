import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventTypes, type TestEngine, testEngine } from '../helpers/engine.ts';

describe('DAG execution', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine();
  });
  after(() => t.close());

  test('runs independent steps in parallel and dependent ones after their needs', async () => {
    const running = new Set<string>();
    let maxParallel = 0;
    const order: string[] = [];
    t.engine.registerTask('work', async (input: { name: string }) => {
      running.add(input.name);
      maxParallel = Math.max(maxParallel, running.size);
      await new Promise((resolve) => setTimeout(resolve, 30));
      running.delete(input.name);
      order.push(input.name);
      return { name: input.name };
    });
    const output = await t.engine.run(
      await t.define(`
name: diamond
steps:
  - { id: a, task: work, input: { name: a } }
  - { id: b, task: work, input: { name: b }, needs: [a] }
  - { id: c, task: work, input: { name: c }, needs: [a] }
  - { id: d, task: work, input: { name: "\${{ steps.b.output.name }}\${{ steps.c.output.name }}" } }
output: \${{ steps.d.output.name }}
`),
    );
    assert.equal(output, 'bc');
    assert.equal(order[0], 'a');
    assert.equal(order[3], 'bc');
    assert.equal(maxParallel, 2, 'b and c ran at the same time');
  });

  test('a reference to another step implies a dependency', async () => {
    t.engine.registerTask('slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 41;
    });
    const output = await t.engine.run(
      await t.define(`
name: implicit
steps:
  - { id: later, set: "\${{ steps.first.output + 1 }}" }
  - { id: first, task: slow }
output: \${{ steps.later.output }}
`),
    );
    assert.equal(output, 42);
  });

  test('per-run concurrency bounds steps in flight', async () => {
    let running = 0;
    let peak = 0;
    t.engine.registerTask('bounded', async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 15));
      running--;
      return null;
    });
    await t.engine.run(
      await t.define(`
name: bounded
concurrency: 2
steps:
${[1, 2, 3, 4, 5, 6].map((i) => `  - { id: s${i}, task: bounded }`).join('\n')}
`),
    );
    assert.equal(peak, 2);
  });

  test('history records each step once, in order, and the run outcome once', async () => {
    const handle = await t.engine.start(
      await t.define(`
name: simple
inputs: { n: { type: number, default: 2 } }
steps:
  - { id: double, set: "\${{ inputs.n * 2 }}" }
  - { id: square, set: "\${{ steps.double.output ** 2 }}" }
output: \${{ steps.square.output }}
`),
      { n: 3 },
    );
    assert.equal(await handle.result(), 36);
    assert.deepEqual(await eventTypes(t.engine, handle.id), [
      'RunStarted',
      'StepCompleted',
      'StepCompleted',
      'RunCompleted',
    ]);
    const history = await t.engine.history(handle.id);
    assert.deepEqual(
      history.map((e) => e.seq),
      history.map((_, i) => i + 1),
    );
  });
});
