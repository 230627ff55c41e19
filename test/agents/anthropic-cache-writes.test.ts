/**
 * Anthropic prompt-cache writes, end to end through @ai-sdk/anthropic against the loopback
 * Messages API: the server reports cache_creation_input_tokens (and its 5-minute / 1-hour
 * split), Baton counts them as `cacheWriteInputTokens`, prices them above the input price
 * (1.25 × for 5 minutes, 2 × for 1 hour, unless the price table says otherwise) and sums them
 * per turn, step, run and workflow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import type { Usage } from '../../src/kinds/types.ts';
import { type AgentHarness, agentHarness, DUMMY_KEY } from './support.ts';

const round = (usd: number) => Math.round(usd * 1e10) / 1e10;

/** Two agent steps: `ask` calls a tool (two turns), `again` answers at once. */
function twoStepWorkflow(name: string, model: string): string {
  return [
    `name: ${name}`,
    'agents:',
    `  helper: { model: ${model}, tools: [weather] }`,
    'steps:',
    '  - id: ask',
    '    agent: helper',
    '    prompt: How warm is Bergen?',
    '  - id: again',
    '    agent: helper',
    '    prompt: And tomorrow?',
    '    needs: [ask]',
    'output: ${{ steps.again.output.text }}',
  ].join('\n');
}

describe('anthropic: prompt-cache writes', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness([], {
      env: { ANTHROPIC_API_KEY: DUMMY_KEY },
      // A negotiated price: the table's cache-write prices replace the 1.25 × and 2 × input defaults.
      agents: {
        prices: {
          models: {
            'anthropic:claude-sonnet-4-5': { input: 2, cacheWrite: 2.2, cacheWrite1h: 3, output: 10 },
          },
        },
      },
    });
    h.t.engine.registerTool('weather', {
      description: 'Current temperature of a city',
      parameters: z.object({ city: z.string() }),
      execute: ({ city }: { city: string }) => ({ city, celsius: 18 }),
    });
  });
  after(() => h.close());

  test('writes are priced at the cache-write rates and summed per turn, step, run and workflow', async () => {
    h.server.push(
      // The first turn writes the long prompt to the cache (5 minutes)…
      {
        toolCalls: [{ id: 'toolu_bergen', name: 'weather', args: { city: 'Bergen' } }],
        usage: { prompt: 3000, cacheWrite: 2500, completion: 40 },
      },
      // …the next reads it and writes a little more, part of it for an hour.
      {
        text: 'Bergen: 18 °C.',
        usage: { prompt: 3200, cached: 2500, cacheWrite: 600, cacheWrite1h: 200, completion: 20 },
      },
      {
        text: 'Tomorrow too.',
        usage: { prompt: 1000, cacheWrite: 1000, cacheWrite1h: 1000, completion: 10 },
      },
    );
    const name = await h.t.define(twoStepWorkflow('anthropic-cache-writes', 'anthropic:claude-haiku-4-5'));
    const handle = await h.t.engine.start(name);
    assert.equal(await handle.result(), 'Tomorrow too.');

    // claude-haiku-4-5 per 1M: $1 input, $0.10 cache read, $1.25 cache write (5 min), $2 (1 hour), $5 output.
    const turn1 = round((500 * 1 + 2500 * 1.25 + 40 * 5) / 1e6);
    const turn2 = round((100 * 1 + 2500 * 0.1 + 400 * 1.25 + 200 * 2 + 20 * 5) / 1e6);
    const turn3 = round((1000 * 2 + 10 * 5) / 1e6);
    assert.deepEqual([turn1, turn2, turn3], [0.003825, 0.00135, 0.00205]);
    const history = await h.t.engine.history(handle.id);
    const turns = history.flatMap((e) =>
      e.type === 'StepProgress' && e.key.startsWith('turn:') ? [e.usage] : [],
    );
    assert.deepEqual(turns, [
      {
        calls: 1,
        inputTokens: 3000,
        outputTokens: 40,
        cachedInputTokens: 0,
        cacheWriteInputTokens: 2500,
        costUsd: turn1,
      },
      {
        calls: 1,
        inputTokens: 3200,
        outputTokens: 20,
        cachedInputTokens: 2500,
        cacheWriteInputTokens: 600,
        costUsd: turn2,
      },
      {
        calls: 1,
        inputTokens: 1000,
        outputTokens: 10,
        cachedInputTokens: 0,
        cacheWriteInputTokens: 1000,
        costUsd: turn3,
      },
    ]);

    const ask: Usage = {
      calls: 2,
      inputTokens: 6200,
      outputTokens: 60,
      cachedInputTokens: 2500,
      cacheWriteInputTokens: 3100,
      costUsd: round(turn1 + turn2),
    };
    const run = await h.t.engine.getRun(handle.id);
    assert.deepEqual(Object.fromEntries(run.steps.map((step) => [step.path, step.usage])), {
      ask,
      again: turns[2],
    });
    const total: Usage = {
      calls: 3,
      inputTokens: 7200,
      outputTokens: 70,
      cachedInputTokens: 2500,
      cacheWriteInputTokens: 4100,
      costUsd: 0.007225,
    };
    assert.deepEqual(run.usage, total);
    assert.deepEqual(await h.t.engine.usage({ groupBy: 'workflow', workflow: name }), [
      { key: name, runs: 1, usage: total },
    ]);
  });

  test('cache-write prices in the price table replace the defaults', async () => {
    h.server.push({ text: 'ok', usage: { prompt: 1000, cacheWrite: 900, cacheWrite1h: 300, completion: 0 } });
    h.server.push({ text: 'ok', usage: { prompt: 10, completion: 0 } });
    const name = await h.t.define(
      twoStepWorkflow('anthropic-cache-write-price', 'anthropic:claude-sonnet-4-5'),
    );
    const handle = await h.t.engine.start(name);
    await handle.result();
    const { steps } = await h.t.engine.getRun(handle.id);
    const [ask, again] = ['ask', 'again'].map((path) => steps.find((step) => step.path === path)?.usage);
    // Per 1M: 100 uncached at $2, 600 written for 5 minutes at $2.20, 300 for an hour at $3.
    assert.equal(ask?.costUsd, round((100 * 2 + 600 * 2.2 + 300 * 3) / 1e6));
    assert.equal(ask?.cacheWriteInputTokens, 900);
    assert.ok(again && !('cacheWriteInputTokens' in again), 'absent when the call wrote nothing');
  });
});
