// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/** The built-in kinds inside the real engine: YAML loader, scheduler, worker and store together. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { type TestEngine, testEngine } from '../helpers/engine.ts';

describe('built-in kinds in the engine', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine({ manualClock: false });
    t.engine.registerTask('double', (n: number) => n * 2);
    t.engine.registerTask('flaky', (n: number) => {
      if (n === 2) throw Object.assign(new Error('two is bad'), { retryable: false });
      return n;
    });
  });
  after(() => t.close());

  it('runs switch, map, loop, parallel, script and wait from YAML', async () => {
    const name = await t.define(`
name: kinds-e2e
inputs:
  tier: { type: string }
  items: { type: array }
steps:
  - id: route
    switch:
      cases:
        - { name: gold, when: inputs.tier == "gold", output: 100 }
        - when: \${{ inputs.tier == "silver" }}
          steps:
            - { id: s1, set: 10 }
            - { id: s2, set: "\${{ steps.s1.output + 1 }}" }
      default: { output: 0 }
  - id: fan
    map:
      items: \${{ inputs.items }}
      as: n
      concurrency: 2
      steps:
        - { id: twice, task: double, input: "\${{ n }}" }
      output: "\${{ steps.twice.output + index }}"
  - id: count
    loop:
      maxIterations: 10
      steps:
        - { id: step, set: "\${{ (loop.previous ?? 0) + 1 }}" }
      until: steps.step.output >= 3
  - id: group
    parallel:
      - { id: p1, set: a }
      - { id: p2, script: "return input + 1", input: 41 }
  - id: pause
    wait: 20ms
output:
  route: \${{ steps.route.output }}
  fan: \${{ steps.fan.output }}
  count: \${{ steps.count.output }}
  group: \${{ steps.group.output }}
  paused: \${{ steps.pause.output.firedAt >= steps.pause.output.scheduledFor }}
`);
    const output = await t.engine.run(name, { tier: 'silver', items: [1, 2, 3] });
    assert.deepEqual(output, {
      route: 11,
      fan: [2, 5, 8],
      count: 3,
      group: { p1: 'a', p2: 42 },
      paused: true,
    });
    const gold = (await t.engine.run(name, { tier: 'gold', items: [] })) as Record<string, unknown>;
    assert.deepEqual([gold.route, gold.fan], [100, []]);
  });

  it('continues past failed map items and fails the run with a fail step', async () => {
    const name = await t.define(`
name: kinds-failures
steps:
  - id: items
    map:
      items: [1, 2, 3]
      onItemError: continue
      steps:
        - { id: attempt, task: flaky, input: "\${{ item }}" }
  - id: stop
    if: \${{ steps.items.output[1] == null }}
    fail: { message: "item 1 failed: \${{ steps.items.output }}", code: ITEM_FAILED }
`);
    await assert.rejects(t.engine.run(name), (error: unknown) => {
      assert.ok(error instanceof BatonError);
      assert.match(JSON.stringify(error), /ITEM_FAILED/);
      assert.match(JSON.stringify(error), /item 1 failed: \[1,null,3\]/);
      return true;
    });
  });
});
