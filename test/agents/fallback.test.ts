// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * Model fallback chains against the loopback server: a rate-limited or failing primary hands
 * the call to the next model, the choice is recorded in the turn and the step output, and a
 * per-model circuit breaker (on the engine's clock) skips a primary that keeps failing until
 * its cool-down has passed. Rejected requests do not fall back.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { RunEvent } from '../../src/core/events.ts';
import { type TestEngine, testEngine } from '../helpers/engine.ts';
import { type LlmServer, type ScriptedReply, startLlmServer } from '../helpers/llm-server.ts';

interface Output {
  text: string;
  model: string;
  usage: { calls: number; costUsd: number };
}

describe('model fallback chains', () => {
  let server: LlmServer;
  let t: TestEngine;
  /** What each model id answers next; an absent entry answers with text naming the model. */
  const failures = new Map<string, ScriptedReply[]>();
  before(async () => {
    server = await startLlmServer([], {
      respond: (request) =>
        failures.get(request.model)?.shift() ?? {
          text: `answer from ${request.model}`,
          usage: { prompt: 1000, completion: 100 },
        },
    });
    t = await testEngine({
      agents: {
        env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.baseURL },
        circuitBreaker: { failures: 2, coolDownMs: 60_000 },
      },
    });
  });
  after(async () => {
    await t.close();
    await server.close();
  });
  beforeEach(() => failures.clear());

  // Each test uses its own primary: circuit breakers live as long as the engine.
  const chain = (name: string, primary: string, fallback = 'gpt-4o') =>
    t.define(`
name: ${name}
agents:
  writer: { model: [openai:${primary}, openai:${fallback}] }
steps:
  - id: write
    agent: writer
    prompt: Write a haiku.
    retry: { attempts: 1 }
output: \${{ steps.write.output }}
`);

  async function turnOf(runId: string): Promise<Record<string, unknown>> {
    const history = await t.engine.history(runId);
    const turn = history.find(
      (e): e is Extract<RunEvent, { type: 'StepProgress' }> => e.type === 'StepProgress',
    );
    return turn?.value as Record<string, unknown>;
  }

  test('a rate-limited primary hands the call to the fallback; the choice is recorded and priced', async () => {
    failures.set('gpt-4o-mini', [{ status: 429, message: 'slow down' }]);
    const name = await chain('fallback-429', 'gpt-4o-mini');
    const before = server.requests.length;
    const handle = await t.engine.start(name);
    const output = (await handle.result()) as unknown as Output;
    assert.equal(output.text, 'answer from gpt-4o');
    assert.equal(output.model, 'openai:gpt-4o');
    assert.deepEqual(
      server.requests.slice(before).map((r) => r.body.model),
      ['gpt-4o-mini', 'gpt-4o'],
    );
    // gpt-4o prices: $2.50 input, $10 output per million tokens.
    assert.equal(output.usage.costUsd, 0.0035);
    const turn = await turnOf(handle.id);
    assert.equal(turn.model, 'openai:gpt-4o');
    assert.deepEqual(
      (turn.fallbacks as { model: string; code: string }[]).map((f) => [f.model, f.code]),
      [['openai:gpt-4o-mini', 'LLM_RATE_LIMITED']],
    );
    const run = await t.engine.getRun(handle.id);
    assert.equal(run.steps[0].attempt, 1, 'no step retry was needed');
  });

  test('a 5xx falls back; a rejected request (4xx) does not', async () => {
    failures.set('gpt-5-mini', [{ status: 503, message: 'overloaded' }]);
    const name = await chain('fallback-5xx', 'gpt-5-mini');
    assert.equal(((await t.engine.run(name)) as unknown as Output).model, 'openai:gpt-4o');

    failures.set('gpt-5-mini', [{ status: 400, message: 'bad parameter' }]);
    const before = server.requests.length;
    const rejected = await t.engine.start(name);
    await assert.rejects(rejected.result(), /rejected the request \(400\)/);
    assert.equal(server.requests.length - before, 1, 'no fallback for a request the provider rejected');
    assert.equal((await t.engine.getRun(rejected.id)).error?.code, 'LLM_REQUEST_REJECTED');
  });

  test('when every model fails, the step fails with the last error and the attempts', async () => {
    failures.set('gpt-5-nano', [{ status: 500 }]);
    failures.set('o4-mini', [{ status: 502 }]);
    const handle = await t.engine.start(await chain('fallback-all-down', 'gpt-5-nano', 'o4-mini'));
    await assert.rejects(
      handle.result(),
      /no model of the chain answered: openai:gpt-5-nano \(LLM_UNAVAILABLE\), openai:o4-mini \(LLM_UNAVAILABLE\)/,
    );
    const error = (await t.engine.getRun(handle.id)).error;
    assert.equal(error?.code, 'LLM_UNAVAILABLE');
    assert.equal(error?.retryable, true);
    assert.equal((error?.details?.fallbacks as unknown[] | undefined)?.length, 2);
  });

  test('the breaker opens after repeated failures and skips the primary until its cool-down', async () => {
    const name = await chain('fallback-breaker', 'gpt-4.1-mini');
    failures.set('gpt-4.1-mini', [{ status: 500 }, { status: 500 }]);
    await t.engine.run(name);
    await t.engine.run(name);
    // Two consecutive failures opened the primary's circuit: the next run does not ask it.
    const before = server.requests.length;
    const skipped = await t.engine.start(name);
    assert.equal(((await skipped.result()) as unknown as Output).model, 'openai:gpt-4o');
    assert.deepEqual(
      server.requests.slice(before).map((r) => r.body.model),
      ['gpt-4o'],
    );
    assert.deepEqual(
      ((await turnOf(skipped.id)).fallbacks as { model: string; code: string }[]).map((f) => [
        f.model,
        f.code,
      ]),
      [['openai:gpt-4.1-mini', 'LLM_CIRCUIT_OPEN']],
    );
    // After the cool-down a trial call goes to the primary again; its success closes the circuit.
    await t.advance(60_000);
    const trial = (await t.engine.run(name)) as unknown as Output;
    assert.equal(trial.model, 'openai:gpt-4.1-mini');
    const afterTrial = (await t.engine.run(name)) as unknown as Output;
    assert.equal(afterTrial.model, 'openai:gpt-4.1-mini');
  });

  test('a single model with an open circuit fails fast and retryably, saying when to try again', async () => {
    const name = await t.define(`
name: single-breaker
agents:
  writer: { model: openai:o3-mini }
steps:
  - { id: write, agent: writer, prompt: Hi., retry: { attempts: 1 } }
`);
    failures.set('o3-mini', [{ status: 500 }, { status: 500 }]);
    for (let i = 0; i < 2; i++)
      await assert.rejects((await t.engine.start(name)).result(), /failed with 500/);
    const before = server.requests.length;
    const handle = await t.engine.start(name);
    await assert.rejects(handle.result(), /circuit of model openai:o3-mini is open after repeated failures/);
    const error = (await t.engine.getRun(handle.id)).error;
    assert.equal(error?.code, 'LLM_CIRCUIT_OPEN');
    assert.equal(error?.retryable, true);
    assert.equal(error?.details?.retryAfterMs, 60_000);
    assert.equal(server.requests.length - before, 0);
  });
});
