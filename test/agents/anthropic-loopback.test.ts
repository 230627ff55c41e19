/**
 * The loopback Messages API (test/helpers/anthropic-api.ts) checked against the real client
 * where Baton's agent steps do not go: a non-streaming answer, and the 400 the real API gives
 * a conversation whose tool_result blocks do not answer the previous tool_use blocks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAnthropic } from '@ai-sdk/anthropic';
import { generateText, jsonSchema } from 'ai';
import { type LlmServer, startLlmServer } from '../helpers/llm-server.ts';

describe('anthropic: the loopback Messages API itself', () => {
  let server: LlmServer;
  before(async () => {
    server = await startLlmServer();
  });
  after(() => server.close());

  test('answers a non-streaming request as the real client expects', async () => {
    server.push({
      text: 'Checking.',
      toolCalls: [{ id: 'toolu_j', name: 'weather', args: { city: 'Oslo' } }],
      usage: { prompt: 50, cached: 20, completion: 7 },
    });
    const anthropic = createAnthropic({ apiKey: 'k', baseURL: server.baseURL });
    const result = await generateText({
      model: anthropic('claude-haiku-4-5'),
      prompt: 'Weather in Oslo?',
      tools: {
        weather: { inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } } }) },
      },
      maxRetries: 0,
    });
    assert.equal(server.anthropicRequests.at(-1)?.body.stream, undefined);
    assert.equal(result.text, 'Checking.');
    assert.deepEqual(
      result.toolCalls.map((c) => [c.toolCallId, c.toolName, c.input]),
      [['toolu_j', 'weather', { city: 'Oslo' }]],
    );
    assert.equal(result.finishReason, 'tool-calls');
    assert.equal(result.usage.inputTokens, 50);
    assert.equal(result.usage.inputTokenDetails.cacheReadTokens, 20);
    assert.equal(result.usage.outputTokens, 7);
  });

  test('rejects a tool_result that answers no tool_use, as the real API does', async () => {
    const response = await fetch(`${server.baseURL}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: '{}' }] },
        ],
      }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /unexpected `tool_use_id` found in `tool_result` blocks: toolu_2/);
  });
});
