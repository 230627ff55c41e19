/**
 * The Anthropic provider when things go wrong, against the loopback Messages API: a missing
 * key, rate limits (Retry-After honoured), overload (HTTP 529 and the `error` event inside a
 * stream), fallback to the next model of a chain (across providers too), rejected requests and
 * answers that cannot be read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { until } from '../helpers/engine.ts';
import { failureOf, failures } from './step-failures.ts';
import { type AgentHarness, agentHarness, DUMMY_KEY, oneAgentWorkflow } from './support.ts';

describe('anthropic: configuration', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness();
  });
  after(() => h.close());

  test('without ANTHROPIC_API_KEY the step fails once, naming the model and what to set', async () => {
    const name = await h.t.define(
      oneAgentWorkflow('anthropic-no-key', '{ model: anthropic:claude-sonnet-4-5 }'),
    );
    const handle = await h.t.engine.start(name);
    const error = await failureOf(handle.result());
    assert.equal(error.code, 'LLM_NOT_CONFIGURED');
    assert.equal(error.retryable, false);
    const stepFailures = failures(await h.t.engine.history(handle.id));
    assert.equal(stepFailures.length, 1, 'not retried');
    assert.equal(
      stepFailures[0].message,
      'Model anthropic:claude-sonnet-4-5 is not configured: no API key: set ANTHROPIC_API_KEY in the ' +
        'environment of the worker that runs agent steps. For an offline dry run use model: mock:echo.',
    );
    assert.equal(error.message, `step "ask" failed: ${stepFailures[0].message}`);
    assert.equal(h.server.anthropicRequests.length, 0, 'nothing was sent');
  });

  test('apiKeyEnv names another variable, whose value goes out as x-api-key', async () => {
    const role = '{ model: anthropic:claude-haiku-4-5, apiKeyEnv: TEAM_ANTHROPIC_KEY }';
    const missing = await h.t.define(oneAgentWorkflow('anthropic-team-key', role));
    assert.match(
      (await failureOf(h.t.engine.run(missing))).message,
      /set TEAM_ANTHROPIC_KEY in the environment/,
    );

    const keyed = await agentHarness([{ text: 'hi' }], { env: { TEAM_ANTHROPIC_KEY: 'sk-ant-team' } });
    try {
      await keyed.t.engine.run(await keyed.t.define(oneAgentWorkflow('anthropic-team-key', role)));
      assert.equal(keyed.server.anthropicRequests[0].apiKey, 'sk-ant-team');
    } finally {
      await keyed.close();
    }
  });
});

describe('anthropic: provider failures', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness([], { env: { ANTHROPIC_API_KEY: DUMMY_KEY } });
  });
  after(() => h.close());

  test('429 is retried after the provider’s Retry-After, then succeeds', async () => {
    h.server.push(
      {
        status: 429,
        message: 'Number of request tokens has exceeded your rate limit',
        retryAfterSeconds: 30,
      },
      { text: 'ok after waiting', usage: { prompt: 100, completion: 10 } },
    );
    const name = await h.t.define(
      oneAgentWorkflow('anthropic-429', '{ model: anthropic:claude-sonnet-4-5 }'),
    );
    const handle = await h.t.engine.start(name);
    await until(async () => failures(await h.t.engine.history(handle.id)).length === 1);
    const [failure] = failures(await h.t.engine.history(handle.id));
    assert.equal(failure.code, 'LLM_RATE_LIMITED');
    assert.equal(failure.retryable, true);
    assert.equal(failure.details?.retryAfterMs, 30_000);
    assert.match(
      failure.message,
      /^Model anthropic:claude-sonnet-4-5 is rate limited \(429 from http:\/\/127\.0\.0\.1:\d+\/v1\/messages\): Number of request tokens has exceeded your rate limit$/,
    );
    assert.equal(failure.retryAt! - failure.at, 30_000, 'the retry waits as long as the provider asked');
    await h.t.advance(30_000);
    const output = (await handle.result()) as { text: string; usage: { calls: number; costUsd: number } };
    assert.equal(output.text, 'ok after waiting');
    // Only the call that answered is counted and paid: $3 input, $15 output per 1M.
    assert.deepEqual([output.usage.calls, output.usage.costUsd], [1, 0.00045]);
    assert.ok(!JSON.stringify(await h.t.engine.history(handle.id)).includes(DUMMY_KEY));
  });

  test('a rate-limited model of a chain hands the call to the next one at once', async () => {
    h.server.push({ status: 429, message: 'rate limited' }, { text: 'from sonnet' });
    const name = await h.t.define(
      oneAgentWorkflow(
        'anthropic-chain',
        '{ model: [anthropic:claude-haiku-4-5, anthropic:claude-sonnet-4-5] }',
        'retry: { attempts: 1 }',
      ),
    );
    const before = h.server.anthropicRequests.length;
    const output = (await h.t.engine.run(name)) as { text: string; model: string };
    assert.deepEqual([output.text, output.model], ['from sonnet', 'anthropic:claude-sonnet-4-5']);
    assert.deepEqual(
      h.server.anthropicRequests.slice(before).map((r) => r.body.model),
      ['claude-haiku-4-5', 'claude-sonnet-4-5'],
    );
  });

  test('an overloaded Anthropic (529) falls back to an OpenAI model; the choice is recorded and priced', async () => {
    h.server.push(
      { status: 529, message: 'Overloaded' },
      { text: 'from openai', usage: { prompt: 1000, completion: 100 } },
    );
    const name = await h.t.define(
      oneAgentWorkflow('anthropic-to-openai', '{ model: [anthropic:claude-opus-4-1, openai:gpt-4o-mini] }'),
    );
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as { model: string; usage: { costUsd: number } };
    assert.equal(output.model, 'openai:gpt-4o-mini');
    assert.equal(output.usage.costUsd, 0.00021, 'priced at gpt-4o-mini, the model that answered');
    assert.equal(h.server.anthropicRequests.at(-1)?.body.model, 'claude-opus-4-1');
    assert.equal(h.server.requests.at(-1)?.body.model, 'gpt-4o-mini');
    const turn = (await h.t.engine.history(handle.id)).find((e) => e.type === 'StepProgress');
    const fallbacks = (turn?.type === 'StepProgress' ? turn.value : {}) as {
      fallbacks?: { model: string; code: string; message: string }[];
    };
    assert.deepEqual(
      fallbacks.fallbacks?.map((f) => [f.model, f.code]),
      [['anthropic:claude-opus-4-1', 'LLM_UNAVAILABLE']],
    );
    assert.match(fallbacks.fallbacks?.[0].message ?? '', /\/v1\/messages failed with 529: Overloaded/);
  });

  test('an overloaded error event inside the stream is an outage too: retryable, then retried', async () => {
    h.server.push(
      { text: 'I was saying', streamError: { type: 'overloaded_error', message: 'Overloaded' } },
      { text: 'I was saying: done.' },
    );
    const name = await h.t.define(
      oneAgentWorkflow('anthropic-stream-error', '{ model: anthropic:claude-haiku-4-5 }'),
    );
    const handle = await h.t.engine.start(name);
    await until(async () => failures(await h.t.engine.history(handle.id)).length === 1);
    const [failure] = failures(await h.t.engine.history(handle.id));
    assert.equal(failure.code, 'LLM_UNAVAILABLE');
    assert.equal(failure.retryable, true);
    assert.equal(
      failure.message,
      'Model anthropic:claude-haiku-4-5 failed while streaming its answer (overloaded_error: Overloaded)',
    );
    await h.t.advance(60_000);
    assert.equal(((await handle.result()) as { text: string }).text, 'I was saying: done.');
  });

  test('500 is retryable; 400 is rejected at once with the provider’s message; 401 names the key', async () => {
    const once = 'retry: { attempts: 1 }';
    const name = await h.t.define(
      oneAgentWorkflow('anthropic-status', '{ model: anthropic:claude-haiku-4-5 }', once),
    );
    h.server.push({ status: 500, message: 'Internal server error' });
    const outage = await failureOf(h.t.engine.run(name));
    assert.deepEqual([outage.code, outage.retryable], ['LLM_UNAVAILABLE', true]);
    assert.match(outage.message, /\/v1\/messages failed with 500: Internal server error/);

    h.server.push({ status: 400, message: 'max_tokens: 64000 > 8192, which is the maximum allowed' });
    const rejected = await failureOf(h.t.engine.run(name));
    assert.deepEqual([rejected.code, rejected.retryable], ['LLM_REQUEST_REJECTED', false]);
    assert.match(rejected.message, /rejected the request \(400\): max_tokens: 64000 > 8192/);

    h.server.push({ status: 401, message: 'invalid x-api-key' });
    const refused = await failureOf(h.t.engine.run(name));
    assert.deepEqual([refused.code, refused.retryable], ['LLM_NOT_CONFIGURED', false]);
    assert.match(refused.message, /refused the API key \(401\): invalid x-api-key/);
  });

  test('an answer that cannot be read fails retryably with LLM_BAD_RESPONSE, saying what to check', async () => {
    const once = 'retry: { attempts: 1 }';
    const name = await h.t.define(
      oneAgentWorkflow('anthropic-malformed', '{ model: anthropic:claude-haiku-4-5 }', once),
    );
    const replies = [
      { raw: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' },
      {
        raw: 'event: message_start\ndata: {"type":"message_start","message":\n\n',
        contentType: 'text/event-stream',
      },
      {
        // Cut off after the first event: no content, no message_stop.
        raw: `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { usage: { input_tokens: 3 } } })}\n\n`,
        contentType: 'text/event-stream',
      },
    ];
    const reasons: string[] = [];
    for (const reply of replies) {
      h.server.push(reply);
      const error = await failureOf(h.t.engine.run(name));
      assert.deepEqual([error.code, error.retryable], ['LLM_BAD_RESPONSE', true]);
      assert.match(error.message, /Model anthropic:claude-haiku-4-5: .* sent an answer Baton cannot read \(/);
      assert.match(error.message, /check the provider's base URL/);
      reasons.push(/cannot read \((.*)\)\. If/.exec(error.message)?.[1] ?? error.message);
    }
    assert.deepEqual(reasons, [
      'HTTP 200 with text/html instead of an event stream: "<html><body>502 Bad Gateway</body></html>"',
      'not JSON: {"type":"message_start","message":',
      'the stream ended without an answer',
    ]);
  });
});
