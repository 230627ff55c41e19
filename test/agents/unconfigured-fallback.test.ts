/**
 * Chains with models this worker has no key for: such a model is skipped (recorded, warned once)
 * and the next one asked, so `[openai:…, mock:script]` runs offline without a key and against the
 * provider with one. A mock never stands in for a real model that is down: the outage surfaces
 * and the step's retry policy applies. Against the loopback server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import pino from 'pino';
import type { RunEvent } from '../../src/core/events.ts';
import type { ScriptedReply } from '../helpers/llm-server.ts';
import { type AgentHarness, agentHarness, oneAgentWorkflow } from './support.ts';

interface Output {
  text: string;
  model: string;
}

const standIn = `{ model: [openai:gpt-4o-mini, mock:script], mock: [{ text: canned answer }] }`;

describe('chains with unconfigured models', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** Warnings the engine logs, as parsed pino lines. */
  function warnings(): { lines: { msg: string; model?: string }[]; logger: pino.Logger } {
    const lines: { msg: string; model?: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    return { lines, logger };
  }

  async function turnOf(runId: string): Promise<Record<string, unknown>> {
    const history = await h!.t.engine.history(runId);
    const turn = history.find(
      (e): e is Extract<RunEvent, { type: 'StepProgress' }> => e.type === 'StepProgress',
    );
    return turn?.value as Record<string, unknown>;
  }

  test('without an OpenAI key the mock answers; the skip is recorded and warned once', async () => {
    const log = warnings();
    h = await agentHarness([], { env: { OPENAI_API_KEY: undefined }, logger: log.logger });
    const name = await h.t.define(oneAgentWorkflow('standin-offline', standIn));
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as unknown as Output;
    assert.deepEqual([output.text, output.model], ['canned answer', 'mock:script']);
    assert.equal(h.server.requests.length, 0);
    const turn = await turnOf(handle.id);
    assert.equal(turn.model, 'mock:script');
    const [skip, ...rest] = turn.fallbacks as {
      model: string;
      code: string;
      reason: string;
      message: string;
    }[];
    assert.deepEqual(rest, []);
    assert.deepEqual(
      [skip.model, skip.code, skip.reason],
      ['openai:gpt-4o-mini', 'LLM_NOT_CONFIGURED', 'not-configured'],
    );
    assert.match(skip.message, /set OPENAI_API_KEY/);

    await h.t.engine.run(name);
    const warned = log.lines.filter((line) => line.model === 'openai:gpt-4o-mini');
    assert.equal(warned.length, 1, 'one warning per model, not per call');
    assert.match(warned[0].msg, /OPENAI_API_KEY.*skip/);
  });

  test('with a key the provider is called and its answer used; the mock stays unused', async () => {
    h = await agentHarness([{ text: 'real answer' }]);
    const name = await h.t.define(oneAgentWorkflow('standin-online', standIn));
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as unknown as Output;
    assert.deepEqual([output.text, output.model], ['real answer', 'openai:gpt-4o-mini']);
    assert.equal(h.server.requests.length, 1);
    assert.equal(h.server.requests[0].body.model, 'gpt-4o-mini');
    assert.equal((await turnOf(handle.id)).fallbacks, undefined);
  });

  test('a real model that is down is not replaced by the mock: the step retries with LLM_UNAVAILABLE', async () => {
    const down: ScriptedReply[] = [
      { status: 500, message: 'boom' },
      { status: 500, message: 'boom' },
    ];
    h = await agentHarness(down, { manualClock: false });
    const name = await h.t.define(
      oneAgentWorkflow('standin-outage', standIn, 'retry: { attempts: 2, delay: 10ms }'),
    );
    const handle = await h.t.engine.start(name);
    await assert.rejects(handle.result(), /Model openai:gpt-4o-mini: .* failed with 500/);
    const run = await h.t.engine.getRun(handle.id);
    assert.equal(run.error?.code, 'LLM_UNAVAILABLE');
    assert.equal(run.error?.retryable, true);
    assert.equal(run.steps[0].attempt, 2, 'the step retry policy applied');
    assert.equal(h.server.requests.length, 2, 'each attempt asked the real model');
    const history = await h.t.engine.history(handle.id);
    assert.ok(
      !history.some((e) => e.type === 'StepProgress'),
      'no turn was recorded: the mock never answered',
    );
  });

  test('a first real model without a key is skipped for the second', async () => {
    h = await agentHarness([{ text: 'from openai' }]);
    const name = await h.t.define(
      oneAgentWorkflow('skip-to-real', '{ model: [anthropic:claude-haiku-4-5, openai:gpt-4o] }'),
    );
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as unknown as Output;
    assert.deepEqual([output.text, output.model], ['from openai', 'openai:gpt-4o']);
    assert.equal(h.server.requests.length, 1);
    const fallbacks = (await turnOf(handle.id)).fallbacks as { model: string; reason: string }[];
    assert.deepEqual(
      fallbacks.map((f) => [f.model, f.reason]),
      [['anthropic:claude-haiku-4-5', 'not-configured']],
    );
  });

  test('when no model of the chain is configured and there is no mock, LLM_NOT_CONFIGURED names them all', async () => {
    h = await agentHarness([], { env: { OPENAI_API_KEY: undefined } });
    const name = await h.t.define(
      oneAgentWorkflow('none-configured', '{ model: [openai:gpt-4o-mini, anthropic:claude-haiku-4-5] }'),
    );
    const handle = await h.t.engine.start(name);
    await assert.rejects(
      handle.result(),
      /no model of the chain \(openai:gpt-4o-mini, anthropic:claude-haiku-4-5\) is configured.*set OPENAI_API_KEY.*set ANTHROPIC_API_KEY/s,
    );
    const error = (await h.t.engine.getRun(handle.id)).error;
    assert.equal(error?.code, 'LLM_NOT_CONFIGURED');
    assert.equal(error?.retryable, false);
    assert.equal(h.server.requests.length, 0);
  });

  test('a stand-in answer is not cached: once the key is set, the real model answers the same call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-standin-'));
    const store = `sqlite:${join(dir, 'baton.db')}`;
    const cached = `{ model: [openai:gpt-4o-mini, mock:script], mock: [{ text: canned answer }], cache: { ttl: 1h } }`;
    try {
      h = await agentHarness([], { env: { OPENAI_API_KEY: undefined }, store });
      const name = await h.t.define(oneAgentWorkflow('standin-cache', cached));
      const offline = (await h.t.engine.run(name)) as unknown as Output;
      assert.deepEqual([offline.text, offline.model], ['canned answer', 'mock:script']);
      await h.close();

      h = await agentHarness([{ text: 'real answer' }], { store });
      // The second engine numbers its runs from 1 again: name them, or start() finds the first run.
      const online = (await h.t.engine.run(name, {}, { runId: 'online-1' })) as unknown as Output;
      assert.deepEqual([online.text, online.model], ['real answer', 'openai:gpt-4o-mini']);
      assert.equal(h.server.requests.length, 1, 'the real model was asked, not the cache');
      const again = (await h.t.engine.run(name, {}, { runId: 'online-2' })) as unknown as Output;
      assert.equal(again.text, 'real answer');
      assert.equal(h.server.requests.length, 1, "the real model's answer is cached");
    } finally {
      await h?.close();
      h = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
