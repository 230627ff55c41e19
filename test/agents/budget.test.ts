// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * LLM budgets through the real engine and OpenAI client against the loopback server: an
 * estimate is reserved before each call and reconciled after; `onExceed: fail` stops the
 * step before the call that would overspend; `pause` makes the run wait for a human whose
 * approval raises the budget (recorded in history) and lets the run finish; concurrent
 * steps of one run cannot both take the same headroom; a per-workflow budget counts the
 * workflow's other runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import type { BatonError } from '../../src/errors.ts';
import { until } from '../helpers/engine.ts';
import { type AgentHarness, agentHarness } from './support.ts';

/** One agent step with a tool; turn 1 (about 100 tokens reserved) fits in 200 tokens, turn 2 does not. */
function budgetWorkflow(name: string, budget: string, step = ''): string {
  return [
    `name: ${name}`,
    `budget: ${budget}`,
    'agents:',
    '  helper: { model: openai:gpt-4o-mini, tools: [lookup], maxTokens: 50 }',
    'steps:',
    '  - id: ask',
    '    agent: helper',
    '    prompt: What is the capital of France?',
    ...(step ? [`    ${step}`] : []),
    'output: ${{ steps.ask.output }}',
  ].join('\n');
}

const toolTurn = {
  toolCalls: [{ name: 'lookup', args: { q: 'France' } }],
  usage: { prompt: 100, completion: 50 },
};

describe('LLM budgets', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness();
    h.t.engine.registerTool('lookup', {
      description: 'Looks a fact up',
      parameters: z.object({ q: z.string() }),
      execute: () => 'Paris',
    });
  });
  after(() => h.close());

  test('onExceed: fail stops the step before the call that would overspend, not retried', async () => {
    h.server.push(toolTurn, { text: 'never asked' });
    const name = await h.t.define(budgetWorkflow('budget-fail', '{ tokens: 200, onExceed: fail }'));
    const before = h.server.requests.length;
    const handle = await h.t.engine.start(name);
    await assert.rejects(
      handle.result(),
      /would exceed the run budget: 150 tokens used and 0 reserved of 200/,
    );
    assert.equal(h.server.requests.length - before, 1, 'the second call was never made');
    h.server.clear();
    const run = await h.t.engine.getRun(handle.id);
    assert.equal(run.error?.code, 'BUDGET_EXCEEDED');
    assert.equal(run.error?.retryable, false);
    assert.equal(run.steps[0].attempt, 1);
    assert.deepEqual(run.usage?.inputTokens, 100);
    const history = await h.t.engine.history(handle.id);
    const reserved = history.filter((e) => e.type === 'BudgetReserved');
    assert.equal(reserved.length, 1);
    assert.ok(
      reserved[0].type === 'BudgetReserved' && reserved[0].key === 'turn:1' && reserved[0].tokens > 50,
    );
  });

  test('onExceed: pause waits for a human; approving with a raise continues, recorded in history', async () => {
    h.server.push(toolTurn, { text: 'Paris.', usage: { prompt: 160, completion: 10 } });
    const name = await h.t.define(
      budgetWorkflow('budget-pause', '{ tokens: 200, onExceed: pause, reviewers: [finance] }'),
    );
    const before = h.server.requests.length;
    const handle = await h.t.engine.start(name);
    await until(async () => (await h.t.engine.getRun(handle.id)).status === 'waiting');
    const waiting = await h.t.engine.getRun(handle.id);
    assert.equal(waiting.steps[0].status, 'waiting');
    assert.equal(waiting.steps[0].waitingFor, 'approval');
    assert.equal(h.server.requests.length - before, 1, 'paused before the second call');
    const [pending] = await h.t.engine.pendingApprovals({ runId: handle.id });
    const approval = pending.step.detail?.approval as {
      key: string;
      request: { message: string; payload: { scope: string; tokens: number }; reviewers: string[] };
    };
    assert.equal(approval.key, 'budget:2');
    assert.match(approval.request.message, /^Agent step "ask" would exceed the run budget: 150 tokens used/);
    assert.deepEqual(approval.request.payload, { scope: 'run', tokens: 400 });
    assert.deepEqual(approval.request.reviewers, ['finance']);

    await h.t.engine.approve(handle.id, { by: 'ann', payload: { tokens: 1000 } });
    const output = (await handle.result()) as { text: string; usage: { calls: number; inputTokens: number } };
    assert.equal(output.text, 'Paris.');
    assert.equal(output.usage.calls, 2);
    assert.equal(output.usage.inputTokens, 260);
    assert.equal(h.server.requests.length - before, 2, 'the recorded first turn was not asked again');
    const history = await h.t.engine.history(handle.id);
    const raised = history.find((e) => e.type === 'BudgetRaised');
    assert.deepEqual(
      raised && {
        type: raised.type,
        ...(raised.type === 'BudgetRaised'
          ? { scope: raised.scope, tokens: raised.tokens, by: raised.by }
          : {}),
      },
      { type: 'BudgetRaised', scope: 'run', tokens: 1000, by: 'ann' },
    );
    assert.deepEqual(
      history
        .filter((e) => e.type === 'BudgetReserved')
        .map((e) => (e.type === 'BudgetReserved' ? e.key : '')),
      ['turn:1', 'turn:2'],
    );
  });

  test('approving without a payload applies the proposed raise; rejecting fails with BUDGET_EXCEEDED', async () => {
    h.server.push(toolTurn, { text: 'Paris again.' });
    const name = await h.t.define(budgetWorkflow('budget-default-raise', '{ tokens: 200, onExceed: pause }'));
    const approved = await h.t.engine.start(name);
    await until(async () => (await h.t.engine.pendingApprovals({ runId: approved.id })).length === 1);
    await h.t.engine.approve(approved.id);
    assert.equal(((await approved.result()) as { text: string }).text, 'Paris again.');
    const raised = (await h.t.engine.history(approved.id)).find((e) => e.type === 'BudgetRaised');
    assert.ok(raised?.type === 'BudgetRaised' && raised.tokens === 400);

    h.server.push(toolTurn);
    const rejected = await h.t.engine.start(name);
    await until(async () => (await h.t.engine.pendingApprovals({ runId: rejected.id })).length === 1);
    await h.t.engine.reject(rejected.id, { by: 'bob', comment: 'too expensive' });
    await assert.rejects(rejected.result(), /the raise was rejected by bob: too expensive/);
    assert.equal((await h.t.engine.getRun(rejected.id)).error?.code, 'BUDGET_EXCEEDED');
  });

  test('two steps running at once cannot both take the same headroom', async () => {
    h.server.clear();
    h.server.push({ text: 'one', delayMs: 300 }, { text: 'two', delayMs: 300 });
    const name = await h.t.define(`
name: budget-race
budget: { tokens: 120 }
agents:
  quick: { model: openai:gpt-4o-mini, maxTokens: 50 }
steps:
  - { id: a, agent: quick, prompt: Say one., continueOnError: true }
  - { id: b, agent: quick, prompt: Say two., continueOnError: true }
output: \${{ [steps.a.output.text, steps.b.output.text] }}
`);
    const before = h.server.requests.length;
    const handle = await h.t.engine.start(name);
    await handle.result();
    const run = await h.t.engine.getRun(handle.id);
    const statuses = run.steps.map((s) => s.status).sort();
    assert.deepEqual(
      statuses,
      ['completed', 'failed'],
      'only one call fits the budget while the other is in flight',
    );
    assert.equal(run.steps.find((s) => s.status === 'failed')?.error?.code, 'BUDGET_EXCEEDED');
    assert.match(
      String(run.steps.find((s) => s.status === 'failed')?.error?.message),
      /0 tokens used and \d+ reserved of 120/,
    );
    assert.equal(h.server.requests.length - before, 1);
    h.server.clear();
  });

  test('a per-workflow budget counts the tokens of the workflow’s other runs in its window', async () => {
    h.server.push({ text: 'first', usage: { prompt: 400, completion: 80 } }, { text: 'second' });
    const name = await h.t.define(`
name: budget-per-workflow
budget: { perWorkflow: { tokens: 500, window: 1h } }
agents:
  quick: { model: openai:gpt-4o-mini, maxTokens: 50 }
steps:
  - { id: ask, agent: quick, prompt: Go. }
output: \${{ steps.ask.output.text }}
`);
    await h.t.engine.run(name);
    const second = await h.t.engine.start(name);
    await assert.rejects(second.result(), (error: BatonError) => {
      assert.match(error.message, /workflow's budget \(perWorkflow\): 480 tokens used and 0 reserved of 500/);
      return true;
    });
    h.server.clear();
    // Outside the window the earlier run no longer counts.
    await h.t.advance(2 * 3_600_000);
    h.server.push({ text: 'third' });
    assert.equal(await h.t.engine.run(name), 'third');
  });
});
