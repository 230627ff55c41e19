/**
 * Provider configuration and failures as a user meets them: one clear message for a
 * missing key or endpoint, rate limits and outages retried by the step's retry policy
 * (honouring Retry-After), rejected requests failed at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { until } from '../helpers/engine.ts';
import { failureOf, failures } from './step-failures.ts';
import { type AgentHarness, agentHarness, DUMMY_KEY, oneAgentWorkflow } from './support.ts';

describe('providers: configuration', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness([], { env: { OPENAI_API_KEY: undefined } });
  });
  after(() => h.close());

  test('a missing API key fails once, naming the model and the variable to set', async () => {
    const name = await h.t.define(oneAgentWorkflow('no-key', '{ model: openai:gpt-4o-mini }'));
    const handle = await h.t.engine.start(name);
    const error = await failureOf(handle.result());
    assert.equal(error.code, 'LLM_NOT_CONFIGURED');
    assert.equal(error.retryable, false);
    assert.match(error.message, /Model openai:gpt-4o-mini is not configured: no API key: set OPENAI_API_KEY/);
    assert.equal(failures(await h.t.engine.history(handle.id)).length, 1, 'not retried');
    assert.equal(h.server.requests.length, 0);
  });

  test('each provider names its own variable; an OpenAI-compatible model needs a base URL', async () => {
    const anthropic = await h.t.define(
      oneAgentWorkflow('no-key-anthropic', '{ model: anthropic:claude-sonnet-4-5 }'),
    );
    assert.match((await failureOf(h.t.engine.run(anthropic))).message, /set ANTHROPIC_API_KEY/);
    const custom = await h.t.define(
      oneAgentWorkflow('no-key-custom', '{ model: openai:gpt-4o-mini, apiKeyEnv: TEAM_OPENAI_KEY }'),
    );
    assert.match((await failureOf(h.t.engine.run(custom))).message, /set TEAM_OPENAI_KEY/);
    const compatible = await h.t.define(oneAgentWorkflow('no-url', '{ model: openai-compatible:qwen2.5 }'));
    const error = await failureOf(h.t.engine.run(compatible));
    assert.equal(error.code, 'LLM_NOT_CONFIGURED');
    assert.match(error.message, /BATON_OPENAI_COMPATIBLE_BASE_URL/);
  });

  test('an unknown role fails at start with a suggestion', async () => {
    const name = await h.t.define(
      [
        'name: bad-role',
        'agents:',
        '  writer: { model: mock:echo }',
        'steps:',
        '  - { id: a, agent: writr, prompt: hi }',
      ].join('\n'),
    );
    const error = await failureOf(h.t.engine.run(name));
    assert.equal(error.code, 'AGENT_ROLE_NOT_FOUND');
    assert.match(error.message, /agent role "writr".*did you mean "writer"/);
  });
});

describe('providers: endpoints and failures', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness();
  });
  after(() => h.close());

  test('any OpenAI-compatible server works through its base URL', async () => {
    const local = await agentHarness([{ text: 'hello from a local model' }], {
      env: { OPENAI_API_KEY: undefined },
    });
    try {
      const name = await local.t.define(
        oneAgentWorkflow(
          'compatible',
          `{ model: "openai-compatible:qwen2.5", baseURL: "${local.server.baseURL}" }`,
        ),
      );
      const output = (await local.t.engine.run(name)) as { text: string };
      assert.equal(output.text, 'hello from a local model');
      assert.equal(local.server.requests[0].body.model, 'qwen2.5');
      assert.equal(local.server.requests[0].authorization, undefined);
    } finally {
      await local.close();
    }
  });

  test('429 is retried after the provider’s Retry-After, then succeeds', async () => {
    h.server.push(
      { status: 429, message: 'Rate limit reached', retryAfterSeconds: 20 },
      { text: 'ok after waiting' },
    );
    const name = await h.t.define(oneAgentWorkflow('rate-limited', '{ model: openai:gpt-4o-mini }'));
    const handle = await h.t.engine.start(name);
    await until(async () => failures(await h.t.engine.history(handle.id)).length === 1);
    const [failure] = failures(await h.t.engine.history(handle.id));
    assert.equal(failure.code, 'LLM_RATE_LIMITED');
    assert.equal(failure.retryable, true);
    assert.equal(failure.details?.retryAfterMs, 20_000);
    assert.match(
      failure.message,
      /rate limited \(429 from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions\): Rate limit reached/,
    );
    assert.equal(failure.retryAt! - failure.at, 20_000, 'the retry waits as long as the provider asked');
    await h.t.advance(20_000);
    const output = (await handle.result()) as { text: string };
    assert.equal(output.text, 'ok after waiting');
    assert.ok(!JSON.stringify(await h.t.engine.history(handle.id)).includes(DUMMY_KEY));
  });

  test('5xx is retryable (LLM_UNAVAILABLE); 4xx is rejected at once (LLM_REQUEST_REJECTED)', async () => {
    h.server.push({ status: 503, message: 'overloaded' }, { text: 'recovered' });
    const flaky = await h.t.define(oneAgentWorkflow('unavailable', '{ model: openai:gpt-4o-mini }'));
    const handle = await h.t.engine.start(flaky);
    await until(async () => failures(await h.t.engine.history(handle.id)).length === 1);
    assert.equal(failures(await h.t.engine.history(handle.id))[0].code, 'LLM_UNAVAILABLE');
    await h.t.advance(60_000);
    assert.equal(((await handle.result()) as { text: string }).text, 'recovered');

    h.server.push({ status: 400, message: "Invalid parameter: 'temperature'" });
    const rejected = await h.t.define(oneAgentWorkflow('rejected', '{ model: openai:gpt-4o-mini }'));
    const error = await failureOf(h.t.engine.run(rejected));
    assert.equal(error.code, 'LLM_REQUEST_REJECTED');
    assert.equal(error.retryable, false);
    assert.match(error.message, /rejected the request \(400\): Invalid parameter: 'temperature'/);
  });

  test('an unreachable endpoint fails with LLM_UNREACHABLE, retryable, saying what to check', async () => {
    const down = await agentHarness([], { env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
    try {
      const name = await down.t.define(
        oneAgentWorkflow('unreachable', '{ model: openai:gpt-4o-mini }', 'retry: { attempts: 1 }'),
      );
      const error = await failureOf(down.t.engine.run(name));
      assert.equal(error.code, 'LLM_UNREACHABLE');
      assert.equal(error.retryable, true);
      assert.match(error.message, /cannot reach http:\/\/127\.0\.0\.1:9\/v1\/chat\/completions/);
      assert.match(error.message, /OPENAI_BASE_URL/);
    } finally {
      await down.close();
    }
  });
});

describe('providers: endpoints a workflow may choose', () => {
  test('a role’s baseURL must be an endpoint the worker allows, so a workflow cannot redirect the key', async () => {
    const h = await agentHarness([{ text: 'allowed' }]);
    try {
      const elsewhere = await h.t.define(
        oneAgentWorkflow(
          'redirect',
          '{ model: openai:gpt-4o-mini, baseURL: "https://collector.example.com/v1" }',
        ),
      );
      const error = await failureOf(h.t.engine.run(elsewhere));
      assert.equal(error.code, 'LLM_NOT_CONFIGURED');
      assert.match(
        error.message,
        /baseURL https:\/\/collector\.example\.com\/v1 is not an endpoint this worker allows; .*BATON_LLM_BASE_URLS/,
      );
      assert.equal(h.server.requests.length, 0);
      const configured = await h.t.define(
        oneAgentWorkflow('same-endpoint', `{ model: openai:gpt-4o-mini, baseURL: "${h.server.baseURL}" }`),
      );
      assert.equal(((await h.t.engine.run(configured)) as { text: string }).text, 'allowed');
    } finally {
      await h.close();
    }
  });
});
