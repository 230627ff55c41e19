// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { switchKind } from '../../src/kinds/switch.ts';
import { blocksDone, configIssues, startContext } from './harness.ts';

const tiers = {
  cases: [
    { name: 'gold', when: '${{ inputs.tier == "gold" }}', steps: [{ id: 'vip' }, { id: 'vipDone' }] },
    { when: 'inputs.tier == "silver"', output: { discount: '${{ inputs.amount * 0.1 }}' } },
    {
      name: 'bronze',
      when: 'inputs.tier == "bronze"',
      steps: [{ id: 'plain' }],
      output: '${{ steps.plain.output.total }}',
    },
  ],
  default: { steps: [{ id: 'fallback' }] },
};

describe('switch kind', () => {
  it('runs the first matching case that has steps, noting its name', () => {
    const ctx = startContext(switchKind, tiers, { inputs: { tier: 'gold' } });
    const outcome = switchKind.start(ctx);
    assert.deepEqual(outcome, {
      type: 'blocks',
      instances: [{ blockKey: 'case:0', vars: {} }],
      note: { case: 'gold' },
    });
  });

  it('completes a matching case without steps with its evaluated output (bare expressions work)', () => {
    const ctx = startContext(switchKind, tiers, { inputs: { tier: 'silver', amount: 50 } });
    assert.deepEqual(switchKind.start(ctx), { type: 'complete', output: { discount: 5 }, note: { case: 1 } });
  });

  it('takes only the first match when several hold', () => {
    const config = {
      cases: [
        { when: true, output: 'first' },
        { when: true, output: 'second' },
      ],
    };
    assert.deepEqual(switchKind.start(startContext(switchKind, config)), {
      type: 'complete',
      output: 'first',
      note: { case: 0 },
    });
  });

  it('falls back to default, and to null when there is no default', () => {
    const ctx = startContext(switchKind, tiers, { inputs: { tier: 'none' } });
    assert.deepEqual(switchKind.start(ctx), {
      type: 'blocks',
      instances: [{ blockKey: 'default', vars: {} }],
      note: { case: 'default' },
    });
    const noDefault = startContext(switchKind, { cases: [{ when: false, output: 1 }] });
    assert.deepEqual(switchKind.start(noDefault), { type: 'complete', output: null, note: { case: null } });
    const outputDefault = startContext(switchKind, { cases: [{ when: false }], default: { output: 'x' } });
    assert.deepEqual(switchKind.start(outputDefault), {
      type: 'complete',
      output: 'x',
      note: { case: 'default' },
    });
  });

  it('outputs the last step of the chosen block by default', () => {
    const ctx = startContext(switchKind, tiers, { inputs: { tier: 'gold' } });
    const started = switchKind.start(ctx);
    assert.equal(started.type, 'blocks');
    if (started.type !== 'blocks') return;
    const done = blocksDone(switchKind, ctx, started, [{ outputs: { vip: 1, vipDone: { ok: true } } }]);
    assert.deepEqual(done, { type: 'complete', output: { ok: true }, note: { case: 'gold' } });
  });

  it('evaluates the case output in the block instance', () => {
    const ctx = startContext(switchKind, tiers, { inputs: { tier: 'bronze' } });
    const started = switchKind.start(ctx);
    if (started.type !== 'blocks') return assert.fail('expected blocks');
    assert.deepEqual(started.instances, [{ blockKey: 'case:2', vars: {} }]);
    const done = blocksDone(switchKind, ctx, started, [{ outputs: { plain: { total: 12 } } }]);
    assert.deepEqual(done, { type: 'complete', output: 12, note: { case: 'bronze' } });
  });

  it('fails with the failed instance error', () => {
    const ctx = startContext(switchKind, tiers, { inputs: { tier: 'gold' } });
    const started = switchKind.start(ctx);
    if (started.type !== 'blocks') return assert.fail('expected blocks');
    const done = blocksDone(switchKind, ctx, started, [{ error: { code: 'BOOM', message: 'vip failed' } }]);
    assert.equal(done.type, 'fail');
    if (done.type === 'fail') {
      assert.equal(done.error.code, 'BOOM');
      assert.equal(done.error.details?.case, 'gold');
    }
  });

  it('declares one block per case with steps, plus default', () => {
    const blocks = switchKind.blocks?.(startContext(switchKind, tiers).config) ?? [];
    assert.deepEqual(
      blocks.map((b) => [b.key, b.path]),
      [
        ['case:0', ['cases', 0, 'steps']],
        ['case:2', ['cases', 2, 'steps']],
        ['default', ['default', 'steps']],
      ],
    );
  });

  it('rejects unknown keys, a missing when, no cases and duplicate names', () => {
    assert.match(configIssues(switchKind, { cases: [{ when: true, steps_: 1 }] }).join(), /steps_/);
    assert.match(configIssues(switchKind, { cases: [{ output: 1 }] }).join(), /when/);
    assert.match(configIssues(switchKind, { cases: [] }).join(), /at least one case/);
    assert.match(
      configIssues(switchKind, {
        cases: [
          { name: 'a', when: true },
          { name: 'a', when: false },
        ],
      }).join(),
      /duplicate case name "a"/,
    );
    assert.match(configIssues(switchKind, { cases: [{ when: true }], other: {} }).join(), /other/);
  });
});
