// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonValue } from '../../src/errors.ts';
import { loopKind } from '../../src/kinds/loop.ts';
import type { StartContext, StartOutcome } from '../../src/kinds/types.ts';
import { blocksDone, configIssues, startContext } from './harness.ts';

const body = [{ id: 'draft' }, { id: 'score' }];

/** Drives a loop to its end: each iteration's `score` output comes from `scoreOf(index, previous)`. */
function drive(
  raw: Record<string, unknown>,
  scoreOf: (index: number, previous: JsonValue) => JsonValue,
  inputs: Record<string, JsonValue> = {},
): { outcomes: StartOutcome[]; ctx: StartContext<unknown> } {
  const ctx = startContext(loopKind, raw, { inputs });
  const outcomes: StartOutcome[] = [loopKind.start(ctx)];
  for (let guard = 0; guard < 100; guard++) {
    const last = outcomes[outcomes.length - 1];
    if (last.type !== 'blocks') break;
    const vars = last.instances[0].vars.loop as { index: number; previous: JsonValue };
    outcomes.push(
      blocksDone(loopKind, ctx, last, [
        { outputs: { draft: 'd', score: scoreOf(vars.index, vars.previous) } },
      ]),
    );
  }
  return { outcomes, ctx: ctx as StartContext<unknown> };
}

describe('loop kind', () => {
  it('starts iteration 0 with loop.index and loop.previous', () => {
    const outcome = loopKind.start(startContext(loopKind, { steps: body, until: 'true', maxIterations: 3 }));
    assert.deepEqual(outcome, {
      type: 'blocks',
      instances: [{ blockKey: 'body', vars: { loop: { index: 0, previous: null } } }],
      note: { iteration: 0 },
    });
  });

  it('repeats until the condition holds, passing the previous output', () => {
    const previousSeen: JsonValue[] = [];
    const { outcomes } = drive(
      { steps: body, until: '${{ steps.score.output >= 3 }}', maxIterations: 10 },
      (index, previous) => {
        previousSeen.push(previous);
        return index + 1;
      },
    );
    assert.deepEqual(outcomes.at(-1), { type: 'complete', output: 3, note: { iterations: 3 } });
    assert.deepEqual(previousSeen, [null, 1, 2]);
  });

  it('uses the output template for each iteration and as loop.previous', () => {
    const previousSeen: JsonValue[] = [];
    const { outcomes } = drive(
      {
        steps: body,
        until: 'loop.index == 1',
        maxIterations: 5,
        output: { n: '${{ steps.score.output }}', i: '${{ loop.index }}' },
      },
      (index, previous) => {
        previousSeen.push(previous);
        return index * 10;
      },
    );
    assert.deepEqual(outcomes.at(-1), { type: 'complete', output: { n: 10, i: 1 }, note: { iterations: 2 } });
    assert.deepEqual(previousSeen, [null, { n: 0, i: 0 }]);
  });

  it('checks while before each iteration, including the first', () => {
    const none = loopKind.start(
      startContext(
        loopKind,
        { steps: body, while: 'inputs.go', maxIterations: 5 },
        { inputs: { go: false } },
      ),
    );
    assert.deepEqual(none, { type: 'complete', output: null, note: { iterations: 0 } });

    const { outcomes } = drive(
      { steps: body, while: 'loop.previous == null || loop.previous < 4', maxIterations: 10 },
      (i) => i * 2,
    );
    // outputs 0, 2, 4 → stops before a fourth iteration
    assert.deepEqual(outcomes.at(-1), { type: 'complete', output: 4, note: { iterations: 3 } });
    assert.equal(outcomes.filter((o) => o.type === 'blocks').length, 3);
  });

  it('completes with exhausted: true at maxIterations by default', () => {
    const { outcomes } = drive({ steps: body, until: 'false', maxIterations: 3 }, (i) => i);
    assert.deepEqual(outcomes.at(-1), {
      type: 'complete',
      output: 2,
      note: { iterations: 3, exhausted: true },
    });
    assert.equal(outcomes.filter((o) => o.type === 'blocks').length, 3);
  });

  it('fails with LOOP_MAX_ITERATIONS when onMaxIterations is fail', () => {
    const { outcomes } = drive(
      { steps: body, until: 'false', maxIterations: 2, onMaxIterations: 'fail' },
      (i) => i,
    );
    const last = outcomes.at(-1);
    assert.equal(last?.type, 'fail');
    if (last?.type === 'fail') {
      assert.equal(last.error.code, 'LOOP_MAX_ITERATIONS');
      assert.equal(last.error.retryable, false);
      assert.match(last.error.message, /maxIterations \(2\) before its until condition became true/);
      assert.deepEqual(last.error.details, { maxIterations: 2, lastOutput: 1 });
    }
  });

  it('runs exactly maxIterations times without a condition', () => {
    const { outcomes } = drive({ steps: body, maxIterations: 4 }, (i) => i);
    assert.deepEqual(outcomes.at(-1), {
      type: 'complete',
      output: 3,
      note: { iterations: 4, exhausted: true },
    });
  });

  it('fails with the body error and the iteration number', () => {
    const ctx = startContext(loopKind, { steps: body, until: 'false', maxIterations: 5 });
    const first = loopKind.start(ctx);
    if (first.type !== 'blocks') return assert.fail('expected blocks');
    const second = blocksDone(loopKind, ctx, first, [{ outputs: { score: 1 } }]);
    if (second.type !== 'blocks') return assert.fail('expected blocks');
    const failed = blocksDone(loopKind, ctx, second, [{ error: { code: 'LLM_DOWN', message: 'no' } }]);
    assert.equal(failed.type, 'fail');
    if (failed.type === 'fail') {
      assert.equal(failed.error.code, 'LLM_DOWN');
      assert.equal(failed.error.details?.iteration, 1);
    }
  });

  it('declares the body block and the loop variable', () => {
    const { config } = startContext(loopKind, { steps: body, maxIterations: 1 });
    assert.deepEqual(loopKind.blocks?.(config), [{ key: 'body', steps: body, path: ['steps'] }]);
    assert.deepEqual(loopKind.blockVariables?.(config), ['loop']);
  });

  it('requires maxIterations within 1..10000 and rejects unknown keys', () => {
    assert.match(configIssues(loopKind, { steps: body, until: 'x' }).join(), /maxIterations/);
    assert.notEqual(configIssues(loopKind, { steps: body, maxIterations: 0 }).length, 0);
    assert.notEqual(configIssues(loopKind, { steps: body, maxIterations: 10_001 }).length, 0);
    assert.notEqual(configIssues(loopKind, { steps: body, maxIterations: 1.5 }).length, 0);
    assert.match(configIssues(loopKind, { steps: body, maxIterations: 2, untill: 'x' }).join(), /untill/);
    assert.match(configIssues(loopKind, { maxIterations: 2 }).join(), /steps/);
    assert.deepEqual(configIssues(loopKind, { steps: body, maxIterations: 10_000 }), []);
  });
});
