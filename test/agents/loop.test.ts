// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * The agent loop through the real engine and the real OpenAI client, against the loopback
 * LLM server: single turn, a multi-turn tool loop, streaming events, usage and cost on the
 * run, and the guardrails (max turns, cost limit).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import type { ToolContext } from '../../src/agents/tools/types.ts';
import type { BatonError } from '../../src/errors.ts';
import { type AgentHarness, agentHarness, collectEvents, DUMMY_KEY, oneAgentWorkflow } from './support.ts';

interface AgentOutput {
  text: string;
  output: unknown;
  turns: number;
  toolCalls: string[];
  usage: {
    calls: number;
    inputTokens: number;
    outputTokens: number;
    cachedInputTokens: number;
    costUsd: number;
  };
}

describe('agent loop', () => {
  let h: AgentHarness;
  const lookups: { city: string; key: string }[] = [];
  before(async () => {
    h = await agentHarness();
    h.t.engine.registerTool('weather', {
      description: 'Current temperature of a city',
      parameters: z.object({ city: z.string() }),
      execute: ({ city }: { city: string }, ctx: ToolContext) => {
        lookups.push({ city, key: ctx.idempotencyKey });
        return { city, celsius: city.length * 3 };
      },
    });
    h.t.engine.registerTool('explode', {
      description: 'Always fails',
      execute: () => {
        throw new Error('the weather station is on fire');
      },
    });
  });
  after(() => h.close());

  test('a single-turn agent answers with text; the resolved request is in history, the key is not', async () => {
    h.server.push({ text: 'Paris is the capital of France.', usage: { prompt: 12, completion: 7 } });
    const name = await h.t.define(
      oneAgentWorkflow(
        'single-turn',
        '{ model: openai:gpt-4o-mini, instructions: "You answer for ${{ inputs.question }}." }',
      ),
    );
    const before = h.server.requests.length;
    const handle = await h.t.engine.start(name, { question: 'What is the capital of France?' });
    const output = (await handle.result()) as unknown as AgentOutput;
    assert.equal(output.text, 'Paris is the capital of France.');
    assert.equal(output.output, null);
    assert.equal(output.turns, 1);
    assert.deepEqual(output.toolCalls, []);
    assert.deepEqual(output.usage, {
      calls: 1,
      inputTokens: 12,
      outputTokens: 7,
      cachedInputTokens: 0,
      costUsd: 0.000006,
    });

    const [request] = h.server.requests.slice(before);
    assert.equal(request.authorization, `Bearer ${DUMMY_KEY}`);
    assert.equal(request.body.model, 'gpt-4o-mini');
    assert.deepEqual(request.body.messages, [
      { role: 'system', content: 'You answer for What is the capital of France?.' },
      { role: 'user', content: 'What is the capital of France?' },
    ]);
    const history = await h.t.engine.history(handle.id);
    const scheduled = history.find((e) => e.type === 'StepScheduled');
    assert.ok(scheduled && scheduled.type === 'StepScheduled');
    const input = scheduled.input as Record<string, unknown>;
    assert.equal(input.prompt, 'What is the capital of France?');
    assert.equal(input.model, 'openai:gpt-4o-mini');
    assert.equal(input.role, 'helper');
    assert.ok(!JSON.stringify(history).includes(DUMMY_KEY), 'the API key never reaches history');
  });

  test('a multi-turn tool loop runs tools, feeds results back, and records every turn and result', async () => {
    h.server.push(
      { toolCalls: [{ id: 'call_a', name: 'weather', args: { city: 'Oslo' } }] },
      {
        toolCalls: [
          { id: 'call_b', name: 'weather', args: { city: 'Rome' } },
          { id: 'call_c', name: 'weather', args: { city: 'Lisbon' } },
        ],
      },
      { text: 'Lisbon is warmest.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow(
        'tool-loop',
        '{ model: openai:gpt-4o-mini, instructions: Compare cities., tools: [weather] }',
      ),
    );
    const before = h.server.requests.length;
    lookups.length = 0;
    const handle = await h.t.engine.start(name, { question: 'Which is warmest: Oslo, Rome or Lisbon?' });
    const output = (await handle.result()) as unknown as AgentOutput;
    assert.equal(output.text, 'Lisbon is warmest.');
    assert.equal(output.turns, 3);
    assert.deepEqual(output.toolCalls, ['weather', 'weather', 'weather']);
    assert.deepEqual(lookups.map((l) => l.city).sort(), ['Lisbon', 'Oslo', 'Rome']);
    assert.deepEqual(lookups.map((l) => l.key).sort(), [
      `${handle.id}:ask:call_a`,
      `${handle.id}:ask:call_b`,
      `${handle.id}:ask:call_c`,
    ]);

    const requests = h.server.requests.slice(before);
    assert.equal(requests.length, 3);
    assert.deepEqual(
      requests[0].body.tools?.map((t) => t.function.name),
      ['weather'],
    );
    const third = requests[2].body.messages;
    const toolMessages = third.filter((m) => m.role === 'tool');
    assert.deepEqual(
      toolMessages.map((m) => [m.tool_call_id, JSON.parse(String(m.content))]),
      [
        ['call_a', { city: 'Oslo', celsius: 12 }],
        ['call_b', { city: 'Rome', celsius: 12 }],
        ['call_c', { city: 'Lisbon', celsius: 18 }],
      ],
    );
    const keys = (await h.t.engine.history(handle.id)).flatMap((e) =>
      e.type === 'StepProgress' ? [e.key] : [],
    );
    // The two calls of turn 2 run concurrently, so their results may be recorded in either order.
    const position = (key: string) => keys.indexOf(key);
    assert.equal(keys.length, 6);
    assert.deepEqual(keys.slice(0, 3), ['turn:1', 'tool:1:call_a', 'turn:2']);
    assert.deepEqual(keys.slice(3, 5).sort(), ['tool:2:call_b', 'tool:2:call_c']);
    assert.ok(position('turn:3') === 5);
  });

  test('tool failures and bad arguments go back to the model, which can recover', async () => {
    h.server.push(
      {
        toolCalls: [
          { id: 'call_x', name: 'explode', args: {} },
          { id: 'call_y', name: 'weather', args: { town: 'Oslo' } },
        ],
      },
      { text: 'Sorry, no data.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow('tool-errors', '{ model: openai:gpt-4o-mini, tools: [weather, explode] }'),
    );
    const before = h.server.requests.length;
    const output = (await h.t.engine.run(name)) as unknown as AgentOutput;
    assert.equal(output.text, 'Sorry, no data.');
    const results = Object.fromEntries(
      h.server.requests
        .slice(before)[1]
        .body.messages.filter((m) => m.role === 'tool')
        .map((m) => [m.tool_call_id, String(m.content)]),
    );
    assert.match(results.call_x, /explode failed: the weather station is on fire/);
    assert.match(results.call_y, /invalid arguments for weather: city: .*expected string/);
  });

  test('text and tool events are published while the agent works', async () => {
    h.server.push(
      { toolCalls: [{ id: 'call_s', name: 'weather', args: { city: 'Bergen' } }] },
      { text: 'Bergen is cold and rainy today.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow('streaming', '{ model: openai:gpt-4o-mini, tools: [weather] }'),
    );
    const { events, stop } = collectEvents(h.t);
    await h.t.engine.run(name);
    stop();
    const texts = events.filter((e) => e.name === 'agent.text');
    assert.ok(texts.length > 1, 'the text arrives in several deltas');
    assert.equal(
      texts.map((e) => (e.data as { delta: string }).delta).join(''),
      'Bergen is cold and rainy today.',
    );
    assert.deepEqual(
      events.filter((e) => e.name.startsWith('agent.tool')).map((e) => e.name),
      ['agent.tool-call', 'agent.tool-result'],
    );
    assert.deepEqual(events.find((e) => e.name === 'agent.tool-result')?.data, {
      turn: 1,
      toolCallId: 'call_s',
      name: 'weather',
      output: { city: 'Bergen', celsius: 18 },
    });
  });

  test('usage and cost of every call are summed on the step and the run', async () => {
    h.server.push(
      {
        toolCalls: [{ id: 'call_u', name: 'weather', args: { city: 'Oslo' } }],
        usage: { prompt: 1000, completion: 100 },
      },
      { text: 'Cold.', usage: { prompt: 2000, completion: 50, cached: 1000 } },
    );
    const name = await h.t.define(
      oneAgentWorkflow('usage', '{ model: openai:gpt-4o-mini, tools: [weather] }'),
    );
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as unknown as AgentOutput;
    // gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per 1M tokens.
    const expected = {
      calls: 2,
      inputTokens: 3000,
      outputTokens: 150,
      cachedInputTokens: 1000,
      costUsd: 0.000465,
    };
    assert.deepEqual(output.usage, expected);
    const recorded = (await h.t.engine.history(handle.id)).flatMap((e) =>
      e.type === 'StepProgress' && e.usage ? [e.usage] : [],
    );
    assert.equal(recorded.length, 2, 'each model call is metered once, in history');
    assert.equal(recorded.reduce((sum, u) => sum + u.costUsd, 0).toFixed(6), '0.000465');
    const run = await h.t.engine.getRun(handle.id);
    assert.deepEqual(run.steps.find((s) => s.stepId === 'ask')?.usage, expected);
    assert.deepEqual(run.usage, expected);
  });

  test('maxTurns stops a loop that never answers, without retrying', async () => {
    h.server.push(
      { toolCalls: [{ id: 'm1', name: 'weather', args: { city: 'A' } }] },
      { toolCalls: [{ id: 'm2', name: 'weather', args: { city: 'B' } }] },
      { text: 'never asked for' },
    );
    const name = await h.t.define(
      oneAgentWorkflow('max-turns', '{ model: openai:gpt-4o-mini, tools: [weather], maxTurns: 2 }'),
    );
    const before = h.server.requests.length;
    await assert.rejects(h.t.engine.run(name), (error: BatonError) => {
      const cause = (error.details.error ?? {}) as { code?: string; retryable?: boolean; message?: string };
      assert.equal(cause.code, 'AGENT_MAX_TURNS');
      assert.equal(cause.retryable, false);
      assert.match(String(cause.message), /limit of 2 model turns/);
      return true;
    });
    assert.equal(h.server.requests.length - before, 2);
    h.server.clear();
  });

  test('maxCostUsd fails the step once its calls cost more than the limit', async () => {
    h.server.push(
      {
        toolCalls: [{ id: 'c1', name: 'weather', args: { city: 'A' } }],
        usage: { prompt: 10_000, completion: 1000 },
      },
      { text: 'never asked for' },
    );
    // 10k input + 1k output tokens of gpt-4o-mini cost $0.0021.
    const name = await h.t.define(
      oneAgentWorkflow('cost-limit', '{ model: openai:gpt-4o-mini, tools: [weather], maxCostUsd: 0.002 }'),
    );
    await assert.rejects(h.t.engine.run(name), (error: BatonError) => {
      const cause = error.details.error as { code: string; message: string };
      assert.equal(cause.code, 'AGENT_COST_LIMIT');
      assert.match(cause.message, /spent \$0\.0021 .* limit of \$0\.002/);
      return true;
    });
    h.server.clear();
  });
});

describe('agent loop: time limit', () => {
  test('the step timeout aborts a slow model call and a tool that ignores its signal', async () => {
    const h = await agentHarness([{ text: 'too late', delayMs: 3_000 }], { manualClock: false });
    try {
      h.t.engine.registerTool('hang', { execute: () => new Promise(() => undefined) });
      const slowModel = await h.t.define(
        oneAgentWorkflow(
          'slow-model',
          '{ model: openai:gpt-4o-mini }',
          'timeout: 300ms\nretry: { attempts: 1 }',
        ),
      );
      const started = Date.now();
      await assert.rejects(h.t.engine.run(slowModel), (error: BatonError) => {
        assert.equal((error.details.error as { code: string }).code, 'STEP_TIMEOUT');
        return true;
      });
      assert.ok(Date.now() - started < 2_500, 'the call was abandoned at the timeout');

      h.server.push({ toolCalls: [{ id: 'call_h', name: 'hang', args: {} }] });
      const slowTool = await h.t.define(
        oneAgentWorkflow(
          'slow-tool',
          '{ model: openai:gpt-4o-mini, tools: [hang] }',
          'timeout: 300ms\nretry: { attempts: 1 }',
        ),
      );
      await assert.rejects(h.t.engine.run(slowTool), (error: BatonError) => {
        assert.equal((error.details.error as { code: string }).code, 'STEP_TIMEOUT');
        return true;
      });
    } finally {
      await h.close();
    }
  });
});
