// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approvalKind } from '../../src/kinds/approval.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { failKind } from '../../src/kinds/fail.ts';
import { scriptKind } from '../../src/kinds/script.ts';
import { setKind } from '../../src/kinds/set.ts';
import { taskKind } from '../../src/kinds/task.ts';
import { waitKind } from '../../src/kinds/wait.ts';
import { workflowKind } from '../../src/kinds/workflow.ts';
import { configIssues, kit, parseConfig, startContext } from './harness.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const inputs = { name: 'Ada', n: 3, when: '2030-01-02T00:00:00Z', delay: '90s', owners: ['ann', 'bob'] };

describe('built-in registry', () => {
  it('registers every built-in kind with a described, strict-enough schema', () => {
    const registry = createBuiltinRegistry();
    assert.deepEqual(registry.keys().sort(), [
      'agent',
      'approval',
      'fail',
      'http',
      'loop',
      'map',
      'parallel',
      'plan',
      'script',
      'set',
      'switch',
      'task',
      'wait',
      'workflow',
    ]);
    for (const kind of registry.all()) {
      assert.ok(kind.description.length > 10, kind.key);
      assert.ok(kind.schema(kit).description, `${kind.key} schema has a description`);
    }
  });
});

describe('task and script kinds', () => {
  it('task: start hands the evaluated input to a worker; null without input', () => {
    const ctx = startContext(taskKind, 'sendEmail', {
      inputs,
      extras: { input: { to: '${{ inputs.name }}', n: '${{ inputs.n }}' } },
    });
    assert.deepEqual(taskKind.start(ctx), { type: 'task', input: { to: 'Ada', n: 3 } });
    assert.deepEqual(taskKind.start(startContext(taskKind, 'noop')), { type: 'task', input: null });
    assert.deepEqual(taskKind.defaultRetry, { attempts: 3 });
    assert.notEqual(configIssues(taskKind, '').length, 0);
    assert.notEqual(configIssues(taskKind, { name: 'x' }).length, 0);
  });

  it('script: accepts code or { code, timeout, memory } and never templates the code', () => {
    assert.deepEqual(parseConfig(scriptKind, 'return input.a'), { code: 'return input.a' });
    assert.deepEqual(parseConfig(scriptKind, { code: 'return 1', timeout: '2s', memory: 16 }), {
      code: 'return 1',
      timeout: 2000,
      memory: 16,
    });
    assert.match(configIssues(scriptKind, { code: 'x', memroy: 1 }).join(), /memroy/);
    assert.notEqual(configIssues(scriptKind, { code: 'x', timeout: 0 }).length, 0);
    assert.notEqual(configIssues(scriptKind, { timeout: '1s' }).length, 0);
    const ctx = startContext(scriptKind, 'return "${{ inputs.name }}"', {
      inputs,
      extras: { input: '${{ inputs.n }}' },
    });
    assert.deepEqual(scriptKind.start(ctx), { type: 'task', input: 3 });
    assert.equal(ctx.config.code, 'return "${{ inputs.name }}"');
    assert.deepEqual(scriptKind.defaultRetry, { attempts: 1 });
  });
});

describe('set and fail kinds', () => {
  it('set completes with the evaluated value', () => {
    const ctx = startContext(
      setKind,
      { greeting: 'Hi ${{ inputs.name }}', n: '${{ inputs.n + 1 }}', list: [1, '${{ inputs.n }}'] },
      { inputs },
    );
    assert.deepEqual(setKind.start(ctx), {
      type: 'complete',
      output: { greeting: 'Hi Ada', n: 4, list: [1, 3] },
    });
    assert.deepEqual(setKind.start(startContext(setKind, '${{ inputs.missing }}', { inputs })), {
      type: 'complete',
      output: null,
    });
  });

  it('fail uses WORKFLOW_FAIL by default and an evaluated message', () => {
    assert.deepEqual(failKind.start(startContext(failKind, 'No ${{ inputs.name }}', { inputs })), {
      type: 'fail',
      error: { code: 'WORKFLOW_FAIL', message: 'No Ada', retryable: false },
    });
    const custom = failKind.start(
      startContext(
        failKind,
        { message: 'bad', code: 'INVALID_ORDER', details: { n: '${{ inputs.n }}' } },
        { inputs },
      ),
    );
    assert.deepEqual(custom, {
      type: 'fail',
      error: { code: 'INVALID_ORDER', message: 'bad', retryable: false, details: { n: 3 } },
    });
    assert.match(configIssues(failKind, { message: 'x', reason: 'y' }).join(), /reason/);
    assert.notEqual(configIssues(failKind, { code: 'X' }).length, 0);
    assert.notEqual(configIssues(failKind, { message: 'x', code: 'has space' }).length, 0);
  });
});

describe('workflow kind', () => {
  it('starts a child with the evaluated input, {} by default, and an optional version', () => {
    const ctx = startContext(workflowKind, 'billing', {
      inputs,
      extras: { input: { who: '${{ inputs.name }}' } },
    });
    assert.deepEqual(workflowKind.start(ctx), { type: 'child', workflow: 'billing', input: { who: 'Ada' } });
    assert.deepEqual(workflowKind.start(startContext(workflowKind, { name: 'billing', version: '2.1.0' })), {
      type: 'child',
      workflow: 'billing',
      version: '2.1.0',
      input: {},
    });
    assert.match(configIssues(workflowKind, { name: 'x', versoin: '1' }).join(), /versoin/);
    assert.notEqual(configIssues(workflowKind, { version: '1' }).length, 0);
  });
});

describe('wait kind', () => {
  const fireAt = (raw: unknown) => waitKind.start(startContext(waitKind, raw, { inputs, now: NOW }));

  it('waits for a duration (shorthand, object, or template)', () => {
    assert.deepEqual(parseConfig(waitKind, '30s'), { for: 30_000 });
    assert.deepEqual(fireAt('30s'), { type: 'timer', fireAt: NOW + 30_000 });
    assert.deepEqual(fireAt({ for: '1h' }), { type: 'timer', fireAt: NOW + 3_600_000 });
    assert.deepEqual(fireAt({ for: '${{ inputs.delay }}' }), { type: 'timer', fireAt: NOW + 90_000 });
    assert.deepEqual(fireAt('${{ inputs.n * 1000 }}'), { type: 'timer', fireAt: NOW + 3000 });
  });

  it('waits until an ISO timestamp or epoch ms; past times fire now', () => {
    assert.deepEqual(fireAt({ until: '${{ inputs.when }}' }), {
      type: 'timer',
      fireAt: Date.UTC(2030, 0, 2),
    });
    assert.deepEqual(fireAt({ until: '2030-01-01T13:00:00+01:00' }), { type: 'timer', fireAt: NOW });
    assert.deepEqual(fireAt({ until: '2030-01-01T12:30:00' }), { type: 'timer', fireAt: NOW + 1_800_000 });
    assert.deepEqual(fireAt({ until: NOW + 5 }), { type: 'timer', fireAt: NOW + 5 });
    assert.deepEqual(fireAt({ until: '2001-01-01' }), { type: 'timer', fireAt: NOW });
  });

  it('fails WAIT_INVALID_TIME for what is not a time or duration', () => {
    for (const raw of [
      { until: 'next tuesday' },
      { until: '${{ inputs.missing }}' },
      { for: '${{ inputs.name }}' },
      { until: 'Jan 5 2030' },
    ]) {
      const outcome = fireAt(raw);
      assert.equal(outcome.type === 'fail' && outcome.error.code, 'WAIT_INVALID_TIME', JSON.stringify(raw));
    }
  });

  it('requires exactly one of for and until', () => {
    assert.match(configIssues(waitKind, { for: '1s', until: 5 }).join(), /exactly one/);
    assert.match(configIssues(waitKind, {}).join(), /exactly one/);
    assert.notEqual(configIssues(waitKind, 'soon').length, 0);
    assert.notEqual(configIssues(waitKind, { for: '1s', at: 1 }).length, 0);
  });
});

describe('approval kind', () => {
  it('builds the request with defaults', () => {
    const outcome = approvalKind.start(
      startContext(approvalKind, { message: 'Ship it, ${{ inputs.name }}?' }, { inputs, now: NOW }),
    );
    assert.deepEqual(outcome, {
      type: 'approval',
      request: { message: 'Ship it, Ada?', reviewers: [], onTimeout: 'fail', onReject: 'continue' },
    });
  });

  it('evaluates payload and reviewers and computes timeoutAt from now', () => {
    const raw = {
      message: 'Approve?',
      payload: { n: '${{ inputs.n }}' },
      reviewers: ['${{ inputs.owners }}', 'carol', 'ann'],
      timeout: '24h',
      onTimeout: 'reject',
      onReject: 'fail',
    };
    assert.deepEqual(approvalKind.start(startContext(approvalKind, raw, { inputs, now: NOW })), {
      type: 'approval',
      request: {
        message: 'Approve?',
        payload: { n: 3 },
        reviewers: ['ann', 'bob', 'carol'],
        timeoutAt: NOW + 86_400_000,
        onTimeout: 'reject',
        onReject: 'fail',
      },
    });
  });

  it('rejects unknown keys and bad policies', () => {
    assert.match(configIssues(approvalKind, { message: 'x', approvers: [] }).join(), /approvers/);
    assert.notEqual(configIssues(approvalKind, { message: 'x', onTimeout: 'ignore' }).length, 0);
    assert.notEqual(configIssues(approvalKind, { payload: 1 }).length, 0);
  });
});
