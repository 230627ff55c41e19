// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * The response cache against the loopback server: with `cache: { ttl }` a second identical
 * run is answered from the store without calling the server, recorded as a cache hit with
 * zero cost; a different prompt or an expired entry (on the store's clock) calls again; a
 * step without `cache` never uses it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentHarness, agentHarness, oneAgentWorkflow } from './support.ts';

interface Output {
  text: string;
  model: string;
  usage: { calls: number; inputTokens: number; costUsd: number; cacheHits?: number };
}

describe('response cache', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness();
  });
  after(() => h.close());

  test('a second identical run is answered from the cache: no request, zero cost, one cache hit', async () => {
    h.server.push({ text: 'Paris.', usage: { prompt: 1000, completion: 200 } });
    const name = await h.t.define(
      oneAgentWorkflow(
        'cached',
        '{ model: openai:gpt-4o-mini, instructions: Be brief., cache: { ttl: 1h } }',
      ),
    );
    const before = h.server.requests.length;
    const first = await h.t.engine.start(name, { question: 'Capital of France?' });
    const firstOutput = (await first.result()) as unknown as Output;
    assert.equal(firstOutput.usage.calls, 1);
    assert.ok(firstOutput.usage.costUsd > 0);
    assert.equal(firstOutput.usage.cacheHits, undefined);

    const second = await h.t.engine.start(name, { question: 'Capital of France?' });
    const secondOutput = (await second.result()) as unknown as Output;
    assert.equal(h.server.requests.length - before, 1, 'the second run did not reach the server');
    assert.equal(secondOutput.text, 'Paris.');
    assert.equal(secondOutput.model, 'openai:gpt-4o-mini');
    assert.deepEqual(secondOutput.usage, {
      calls: 0,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      costUsd: 0,
      cacheHits: 1,
    });
    const run = await h.t.engine.getRun(second.id);
    assert.equal(run.usage?.cacheHits, 1);
    assert.equal(run.usage?.costUsd, 0);
    const turn = (await h.t.engine.history(second.id)).find((e) => e.type === 'StepProgress');
    assert.ok(turn?.type === 'StepProgress');
    assert.equal((turn.value as { cached?: boolean }).cached, true);
    assert.deepEqual(turn.usage, secondOutput.usage);
    const summary = await h.t.engine.usage({ groupBy: 'workflow', workflow: name });
    assert.deepEqual(summary[0].usage.cacheHits, 1);
    assert.equal(summary[0].usage.calls, 1);
  });

  test('a different prompt, an expired entry or a step without cache calls the model', async () => {
    const name = await h.t.define(
      oneAgentWorkflow('cached-ttl', '{ model: openai:gpt-4o-mini, cache: { ttl: 10m } }'),
    );
    const uncached = await h.t.define(oneAgentWorkflow('uncached', '{ model: openai:gpt-4o-mini }'));
    h.server.push({ text: 'four' }, { text: 'five' }, { text: 'four again' }, { text: 'x' }, { text: 'y' });
    const before = h.server.requests.length;
    const ask = async (workflow: string, question: string) =>
      ((await h.t.engine.run(workflow, { question })) as unknown as Output).text;
    assert.equal(await ask(name, '2 + 2?'), 'four');
    assert.equal(await ask(name, '2 + 3?'), 'five');
    assert.equal(await ask(name, '2 + 2?'), 'four', 'served from the cache');
    assert.equal(h.server.requests.length - before, 2);
    await h.t.advance(11 * 60_000);
    assert.equal(await ask(name, '2 + 2?'), 'four again', 'the entry expired on the store clock');
    assert.equal(h.server.requests.length - before, 3);
    assert.equal(await ask(uncached, 'same?'), 'x');
    assert.equal(await ask(uncached, 'same?'), 'y');
    assert.equal(h.server.requests.length - before, 5);
  });

  test('a step can turn the cache on for itself, and tool-calling turns are cached too', async () => {
    const name = await h.t.define(`
name: cached-step
agents:
  helper: { model: openai:gpt-4o-mini, tools: [clock] }
steps:
  - id: ask
    agent: helper
    prompt: What time is it?
    cache: { ttl: 1h }
output: \${{ steps.ask.output }}
`);
    h.t.engine.registerTool('clock', { description: 'Current time', execute: () => '12:00' });
    h.server.push({ toolCalls: [{ id: 'call_t', name: 'clock', args: {} }] }, { text: 'Noon.' });
    const before = h.server.requests.length;
    const first = (await h.t.engine.run(name)) as unknown as Output;
    const second = (await h.t.engine.run(name)) as unknown as Output;
    assert.equal(first.text, 'Noon.');
    assert.equal(second.text, 'Noon.');
    assert.equal(second.usage.cacheHits, 2);
    assert.equal(h.server.requests.length - before, 2);
  });
});
