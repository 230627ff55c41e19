/**
 * A 200 answer that is not the event stream Baton asked for — a proxy's HTML page, plain JSON
 * from an endpoint that ignores `stream`, an empty body, a stream without events or cut short —
 * fails the step with the retryable LLM_BAD_RESPONSE, saying what came back, on both the Chat
 * Completions and the Messages API; it never passes as an empty answer. An answer that is empty
 * but finished, and a stream under the wrong content type, still work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ScriptedReply } from '../helpers/llm-server.ts';
import { failureOf } from './step-failures.ts';
import { type AgentHarness, agentHarness, DUMMY_KEY, oneAgentWorkflow } from './support.ts';

const HTML = '<html><body><h1>502 Bad Gateway</h1></body></html>';

const APIS = [
  {
    model: 'openai:gpt-4o-mini',
    path: '/chat/completions',
    // What a server that ignores `stream: true` sends.
    json: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }],
    },
  },
  {
    model: 'anthropic:claude-haiku-4-5',
    path: '/messages',
    json: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, output_tokens: 1 },
    },
  },
];

for (const api of APIS) {
  describe(`${api.model}: a 200 answer that is not an event stream`, () => {
    let h: AgentHarness;
    let name: string;
    before(async () => {
      h = await agentHarness([], { env: { ANTHROPIC_API_KEY: DUMMY_KEY } });
      const slug = api.model.split(':')[0];
      name = await h.t.define(
        oneAgentWorkflow(`bad-response-${slug}`, `{ model: ${api.model} }`, 'retry: { attempts: 1 }'),
      );
    });
    after(() => h.close());

    /** Who sent the unreadable answer (the endpoint, or "the provider") and why it is unreadable. */
    async function failure(reply: ScriptedReply): Promise<{ from: string; why: string }> {
      h.server.push(reply);
      const error = await failureOf(h.t.engine.run(name));
      assert.deepEqual([error.code, error.retryable], ['LLM_BAD_RESPONSE', true], error.message);
      const parts =
        /^step "ask" failed: Model (\S+): (.*) sent an answer Baton cannot read \((.*)\)\. (.*)$/.exec(
          error.message,
        );
      assert.ok(parts, error.message);
      assert.equal(parts[1], api.model);
      assert.equal(parts[4], "If this persists, check the provider's base URL and any proxy in between.");
      return { from: parts[2], why: parts[3] };
    }

    async function reasonFor(reply: ScriptedReply): Promise<string> {
      return (await failure(reply)).why;
    }

    test('an HTML page, JSON or an empty body fails, naming the endpoint, content type and first bytes', async () => {
      assert.deepEqual(await failure({ raw: HTML, contentType: 'text/html; charset=utf-8' }), {
        from: `${h.server.baseURL}${api.path}`,
        why: `HTTP 200 with text/html instead of an event stream: "${HTML}"`,
      });
      const json = await reasonFor({ raw: JSON.stringify(api.json) });
      assert.equal(
        json,
        `HTTP 200 with application/json instead of an event stream: "${JSON.stringify(api.json).slice(0, 80)}…"`,
      );
      assert.equal(
        await reasonFor({ raw: '' }),
        'HTTP 200 with an empty body (application/json) instead of an event stream',
      );
    });

    test('an event stream without events, or only [DONE], fails as an answer that never came', async () => {
      for (const raw of ['', 'data: [DONE]\n\n']) {
        assert.match(
          await reasonFor({ raw, contentType: 'text/event-stream' }),
          /^the stream ended without an answer/,
        );
      }
    });

    test('an empty answer that the model finished is an answer, and is counted', async () => {
      h.server.push({ text: '', usage: { prompt: 12, completion: 1 } });
      const output = (await h.t.engine.run(name)) as {
        text: string;
        usage: { calls: number; inputTokens: number };
      };
      assert.deepEqual([output.text, output.usage.calls, output.usage.inputTokens], ['', 1, 12]);
    });
  });
}

describe('openai: event streams the content type does not announce', () => {
  let h: AgentHarness;
  let name: string;
  before(async () => {
    h = await agentHarness();
    name = await h.t.define(
      oneAgentWorkflow('bad-response-stream', '{ model: openai:gpt-4o-mini }', 'retry: { attempts: 1 }'),
    );
  });
  after(() => h.close());

  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1_767_225_600,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;

  test('a stream sent as application/json is read as the stream it is', async () => {
    const raw = chunk({ role: 'assistant', content: 'Hel' }) + chunk({ content: 'lo' }) + chunk({}, 'stop');
    h.server.push({ raw: `${raw}data: [DONE]\n\n`, contentType: 'application/json' });
    assert.equal(((await h.t.engine.run(name)) as { text: string }).text, 'Hello');
  });

  test('a stream that stops before its finish reason fails: the answer may be incomplete', async () => {
    h.server.push({
      raw: chunk({ role: 'assistant', content: 'The answer is' }),
      contentType: 'text/event-stream',
    });
    const error = await failureOf(h.t.engine.run(name));
    assert.deepEqual([error.code, error.retryable], ['LLM_BAD_RESPONSE', true]);
    assert.match(
      error.message,
      /\(the stream was cut short, without a finish reason, content type text\/event-stream\)/,
    );
  });
});
