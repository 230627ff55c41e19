/**
 * Records the committed history fixtures used by test/core/replay.test.ts: runs a set of
 * representative workflows on a manual clock and writes each run's definition, history
 * and final projections. Re-run it only when the event vocabulary changes on purpose:
 *   node scripts/record-fixtures.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatonError } from '../src/errors.ts';
import { testEngine, until } from '../test/helpers/engine.ts';

const out = join(import.meta.dirname, '..', 'test', 'fixtures', 'histories');
const t = await testEngine();
let flaky = 0;
t.engine.registerTask('echo', async (input) => input);
t.engine.registerTask('flaky', async (_input, ctx) => {
  flaky++;
  if (ctx.attempt < 2) throw new BatonError('TRANSIENT', 'try again', { retryable: true });
  return { attempt: ctx.attempt };
});

const scenarios: {
  name: string;
  yaml: string;
  input?: Record<string, unknown>;
  drive?: (runId: string) => Promise<void>;
}[] = [
  {
    name: 'dag-retry-skip',
    yaml: `
name: dag-retry-skip
steps:
  - { id: a, task: echo, input: { v: 1 } }
  - { id: b, task: flaky, needs: [a], retry: { attempts: 3, delay: 1s, jitter: full } }
  - { id: c, if: "\${{ steps.a.output.v > 5 }}", set: never }
  - { id: d, needs: [c], set: skipped-too }
  - { id: e, needs: [b], set: "\${{ steps.b.output.attempt }}" }
output: \${{ steps.e.output }}
`,
    drive: async (runId) => {
      await until(async () => (await t.engine.history(runId)).some((e) => e.type === 'StepFailed'));
      await t.advance(1000);
    },
  },
  {
    name: 'map-loop-switch',
    yaml: `
name: map-loop-switch
inputs: { items: { type: array, default: [3, 1, 2] } }
steps:
  - id: each
    map:
      items: \${{ inputs.items }}
      concurrency: 2
      steps:
        - { id: twice, task: echo, input: "\${{ item * 2 }}" }
  - id: count
    loop:
      maxIterations: 5
      until: \${{ steps.tick.output >= 3 }}
      steps:
        - { id: tick, set: "\${{ loop.index + 1 }}" }
  - id: route
    switch:
      cases:
        - when: \${{ steps.count.output == 3 }}
          steps:
            - { id: three, set: three }
      default: { output: other }
output: { each: "\${{ steps.each.output }}", route: "\${{ steps.route.output }}" }
`,
  },
  {
    name: 'approval-wait-child',
    yaml: `
name: approval-wait-child
steps:
  - { id: review, approval: { message: ok?, timeout: 1d, onTimeout: reject } }
  - { id: pause, wait: 10m, needs: [review] }
  - { id: sub, workflow: fixture-child, input: { n: 4 }, needs: [pause] }
output: \${{ steps.sub.output }}
`,
    drive: async (runId) => {
      await t.engine.approve(runId, { by: 'alice', comment: 'fine' });
      await t.advance(600_000);
    },
  },
  {
    name: 'fail-then-retry',
    yaml: `
name: fail-then-retry
inputs: { ok: { type: boolean, default: false } }
steps:
  - { id: first, set: 1 }
  - { id: gate, needs: [first], fail: { message: "stopped", code: STOP } }
  - { id: cleanup, needs: [gate], if: "\${{ failure() }}", set: cleaned }
`,
    drive: async (runId) => {
      await until(async () => (await t.engine.getRun(runId)).status === 'failed');
      await t.engine.retry(runId, { by: 'ops' });
    },
  },
];

await t.engine.register(
  `name: fixture-child\ninputs: { n: { type: number } }\nsteps:\n  - { id: sq, set: "\${{ inputs.n * inputs.n }}" }\noutput: \${{ steps.sq.output }}\n`,
);
for (const scenario of scenarios) {
  const summary = await t.engine.register(scenario.yaml);
  const handle = await t.engine.start(summary.name, scenario.input ?? {});
  if (scenario.drive) await scenario.drive(handle.id);
  await t.engine.wait(handle.id, { timeoutMs: 10_000 });
  const stored = await t.engine.store.getDefinition(summary.hash);
  const run = await t.engine.getRun(handle.id);
  const fixture = {
    definition: stored!.definition,
    hash: summary.hash,
    history: await t.engine.history(handle.id),
    run,
  };
  writeFileSync(join(out, `${scenario.name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`recorded ${scenario.name}: ${fixture.history.length} events, run ${run.status}`);
}
console.log(`flaky calls: ${flaky}`);
await t.close();
