/**
 * The Anthropic provider end to end: real workflows with `anthropic:` models, through the real
 * `@ai-sdk/anthropic` client, against the loopback server speaking the Messages API. The
 * requests the server received are asserted too (system prompt, tools, tool_use → tool_result
 * pairing), so a broken mapping fails here, not in production.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import type { RunEvent } from '../../src/core/events.ts';
import type { ContentBlock } from '../helpers/llm-server.ts';
import { type AgentHarness, agentHarness, collectEvents, DUMMY_KEY, oneAgentWorkflow } from './support.ts';

interface Usage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
}

interface AgentOutput {
  text: string;
  model: string;
  output: unknown;
  turns: number;
  toolCalls: string[];
  usage: Usage;
}

const SCHEMA =
  '{ type: object, required: [findings, confidence], additionalProperties: false, properties: ' +
  '{ findings: { type: array, items: { type: string } }, confidence: { type: number, minimum: 0, maximum: 1 } } }';

function progress(history: RunEvent[]): { key: string; value: Record<string, unknown> }[] {
  return history.flatMap((e) =>
    e.type === 'StepProgress' ? [{ key: e.key, value: e.value as Record<string, unknown> }] : [],
  );
}

function blocks(content: string | ContentBlock[]): ContentBlock[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

describe('anthropic: agent steps against the Messages API', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness([], { env: { ANTHROPIC_API_KEY: DUMMY_KEY } });
    h.t.engine.registerTool('weather', {
      description: 'Current temperature of a city',
      parameters: z.object({ city: z.string() }),
      execute: ({ city }: { city: string }) => ({ city, celsius: city.length * 3 }),
    });
  });
  after(() => h.close());

  test('a tool loop: tool_use blocks run as tools, results go back as tool_result blocks, each turn is recorded', async () => {
    h.server.push(
      {
        text: 'Let me check Oslo.',
        toolCalls: [{ id: 'toolu_oslo', name: 'weather', args: { city: 'Oslo' } }],
      },
      {
        toolCalls: [
          { id: 'toolu_rome', name: 'weather', args: { city: 'Rome' } },
          { id: 'toolu_lisbon', name: 'weather', args: { city: 'Lisbon' } },
        ],
      },
      { text: 'Lisbon is warmest.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow(
        'anthropic-tools',
        '{ model: anthropic:claude-sonnet-4-5, instructions: Compare cities., tools: [weather] }',
      ),
    );
    const before = h.server.anthropicRequests.length;
    const handle = await h.t.engine.start(name, { question: 'Which is warmest: Oslo, Rome or Lisbon?' });
    const output = (await handle.result()) as unknown as AgentOutput;
    assert.equal(output.text, 'Lisbon is warmest.');
    assert.equal(output.model, 'anthropic:claude-sonnet-4-5');
    assert.equal(output.turns, 3);
    assert.deepEqual(output.toolCalls, ['weather', 'weather', 'weather']);

    const requests = h.server.anthropicRequests.slice(before);
    assert.equal(requests.length, 3);
    for (const request of requests) {
      assert.equal(request.path, '/v1/messages');
      assert.equal(request.apiKey, DUMMY_KEY);
      assert.equal(request.authorization, undefined, 'the key goes in x-api-key, not Authorization');
      assert.equal(request.anthropicVersion, '2023-06-01');
      assert.equal(request.body.model, 'claude-sonnet-4-5');
      assert.equal(request.body.stream, true);
      assert.deepEqual(request.body.system, [{ type: 'text', text: 'Compare cities.' }]);
      assert.deepEqual(
        request.body.tools?.map((t) => [
          t.name,
          t.description,
          t.input_schema.properties,
          t.input_schema.required,
        ]),
        [['weather', 'Current temperature of a city', { city: { type: 'string' } }, ['city']]],
      );
    }
    assert.deepEqual(requests[0].body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Which is warmest: Oslo, Rome or Lisbon?' }] },
    ]);
    // The last request replays the whole conversation: each tool_use answered by its tool_result.
    const conversation = requests[2].body.messages.map((m) => [m.role, blocks(m.content)] as const);
    assert.deepEqual(
      conversation.map(([role, content]) => [role, content.map((b) => b.type)]),
      [
        ['user', ['text']],
        ['assistant', ['text', 'tool_use']],
        ['user', ['tool_result']],
        ['assistant', ['tool_use', 'tool_use']],
        ['user', ['tool_result', 'tool_result']],
      ],
    );
    assert.deepEqual(conversation[1][1][1], {
      type: 'tool_use',
      id: 'toolu_oslo',
      name: 'weather',
      input: { city: 'Oslo' },
    });
    const results = conversation.flatMap(([, content]) =>
      content
        .filter((b) => b.type === 'tool_result')
        .map((b) => [b.tool_use_id, JSON.parse(String(b.content))]),
    );
    assert.deepEqual(results, [
      ['toolu_oslo', { city: 'Oslo', celsius: 12 }],
      ['toolu_rome', { city: 'Rome', celsius: 12 }],
      ['toolu_lisbon', { city: 'Lisbon', celsius: 18 }],
    ]);

    const recorded = progress(await h.t.engine.history(handle.id));
    assert.deepEqual(
      recorded.map((p) => p.key).filter((key) => key.startsWith('turn:')),
      ['turn:1', 'turn:2', 'turn:3'],
    );
    assert.deepEqual(recorded.map((p) => p.key).sort(), [
      'tool:1:toolu_oslo',
      'tool:2:toolu_lisbon',
      'tool:2:toolu_rome',
      'turn:1',
      'turn:2',
      'turn:3',
    ]);
    const turn1 = recorded.find((p) => p.key === 'turn:1')!.value;
    assert.equal(turn1.model, 'anthropic:claude-sonnet-4-5');
    assert.equal(turn1.text, 'Let me check Oslo.');
    assert.equal(turn1.finishReason, 'tool-calls');
    assert.deepEqual(turn1.toolCalls, [{ id: 'toolu_oslo', name: 'weather', args: { city: 'Oslo' } }]);
    assert.ok(!JSON.stringify(await h.t.engine.history(handle.id)).includes(DUMMY_KEY));
  });

  test('usage with prompt-cache reads is summed per turn, step and run, priced from the table', async () => {
    // The server reports input_tokens without the cache reads, as the API does: 200 + 1000 read.
    h.server.push(
      {
        toolCalls: [{ id: 'toolu_bergen', name: 'weather', args: { city: 'Bergen' } }],
        usage: { prompt: 1200, cached: 1000, completion: 40 },
      },
      { text: 'Bergen: 18 °C.', usage: { prompt: 1600, cached: 1200, completion: 20 } },
    );
    const name = await h.t.define(
      oneAgentWorkflow('anthropic-usage', '{ model: anthropic:claude-haiku-4-5-20251001, tools: [weather] }'),
    );
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as unknown as AgentOutput;
    // claude-haiku-4-5 (the snapshot uses its family's price): $1 input, $0.10 cached input, $5 output per 1M.
    const turn1 = (200 * 1 + 1000 * 0.1 + 40 * 5) / 1e6;
    const turn2 = (400 * 1 + 1200 * 0.1 + 20 * 5) / 1e6;
    const turns = progress(await h.t.engine.history(handle.id)).filter((p) => p.key.startsWith('turn:'));
    assert.deepEqual(
      turns.map((p) => p.value.usage),
      [
        { calls: 1, inputTokens: 1200, outputTokens: 40, cachedInputTokens: 1000, costUsd: turn1 },
        { calls: 1, inputTokens: 1600, outputTokens: 20, cachedInputTokens: 1200, costUsd: turn2 },
      ],
    );
    const total: Usage = {
      calls: 2,
      inputTokens: 2800,
      outputTokens: 60,
      cachedInputTokens: 2200,
      costUsd: Math.round((turn1 + turn2) * 1e10) / 1e10,
    };
    assert.equal(total.costUsd, 0.00112);
    assert.deepEqual(output.usage, total);
    const run = await h.t.engine.getRun(handle.id);
    assert.deepEqual(run.usage, total);
    assert.deepEqual(run.steps[0].usage, total);
  });

  test('structured output: the schema goes out as output_config, Baton validates and repairs', async () => {
    h.server.push(
      // `maximum` is not something Anthropic's decoder enforces (the SDK moves it into the
      // description), so Baton's validation catches it and asks once more.
      { text: '{"findings":["a"],"confidence":3}' },
      { text: '{"findings":["a","b"],"confidence":0.8}' },
    );
    const name = await h.t.define(
      oneAgentWorkflow(
        'anthropic-structured',
        '{ model: anthropic:claude-sonnet-4-5, instructions: Research. }',
        `output: { schema: ${SCHEMA} }`,
      ),
    );
    const before = h.server.anthropicRequests.length;
    const output = (await h.t.engine.run(name)) as unknown as AgentOutput;
    assert.deepEqual(output.output, { findings: ['a', 'b'], confidence: 0.8 });
    assert.equal(output.turns, 2);
    const [first, repair] = h.server.anthropicRequests.slice(before);
    const format = first.body.output_config?.format;
    assert.equal(format?.type, 'json_schema');
    assert.deepEqual(format?.schema.required, ['findings', 'confidence']);
    assert.equal(first.body.tools, undefined, 'native structured output needs no tool');
    const last = repair.body.messages.at(-1)!;
    assert.equal(last.role, 'user');
    assert.match(blocks(last.content)[0].text ?? '', /\/confidence must be <= 1/);
  });

  test('structured output on a model without native JSON output goes through a forced json tool', async () => {
    h.server.push({ text: '{"findings":["c"],"confidence":0.4}' });
    const name = await h.t.define(
      oneAgentWorkflow(
        'anthropic-json-tool',
        '{ model: anthropic:claude-sonnet-4-20250514 }',
        `output: { schema: ${SCHEMA} }`,
      ),
    );
    const before = h.server.anthropicRequests.length;
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as unknown as AgentOutput;
    assert.deepEqual(output.output, { findings: ['c'], confidence: 0.4 });
    // The model answered with a json tool_use block: it is the answer, not a tool call to run.
    const [turn] = progress(await h.t.engine.history(handle.id));
    assert.deepEqual([turn.key, turn.value.toolCalls, turn.value.finishReason], ['turn:1', [], 'stop']);
    const [request] = h.server.anthropicRequests.slice(before);
    assert.equal(request.body.output_config, undefined);
    assert.deepEqual(
      request.body.tools?.map((t) => t.name),
      ['json'],
    );
    assert.equal(request.body.tool_choice?.type, 'any');
    // claude-sonnet-4 prices: $3 input, $15 output per 1M; 10 in, 5 out.
    assert.equal(output.usage.costUsd, 0.000105);
  });

  test('text streams to the run’s event stream as it arrives', async () => {
    h.server.push(
      { toolCalls: [{ id: 'toolu_s', name: 'weather', args: { city: 'Tromsø' } }] },
      { text: 'Tromsø is cold and dark in winter.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow('anthropic-stream', '{ model: anthropic:claude-haiku-4-5, tools: [weather] }'),
    );
    const { events, stop } = collectEvents(h.t);
    await h.t.engine.run(name);
    stop();
    const texts = events
      .filter((e) => e.name === 'agent.text')
      .map((e) => e.data as { turn: number; delta: string });
    assert.ok(texts.length > 1, 'the text arrives in several deltas');
    assert.deepEqual(new Set(texts.map((t) => t.turn)), new Set([2]));
    assert.equal(texts.map((t) => t.delta).join(''), 'Tromsø is cold and dark in winter.');
    assert.deepEqual(events.find((e) => e.name === 'agent.tool-result')?.data, {
      turn: 1,
      toolCallId: 'toolu_s',
      name: 'weather',
      output: { city: 'Tromsø', celsius: 18 },
    });
  });
});
