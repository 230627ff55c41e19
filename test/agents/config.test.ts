// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/** Agent configuration checked when a workflow loads, and the price table. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_PRICES, findPrice, loadPriceTable } from '../../src/agents/prices.ts';
import { onceWarner, usageOfCall } from '../../src/agents/usage.ts';
import type { BatonError } from '../../src/errors.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { loadWorkflowText } from '../../src/language/index.ts';

const registry = createBuiltinRegistry();

function loadErrors(text: string): string {
  try {
    loadWorkflowText(text, { registry });
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('agent steps at load time', () => {
  test('mistakes in an agent step are reported with positions and suggestions', () => {
    const message = loadErrors(
      [
        'name: bad',
        'steps:',
        '  - id: a',
        '    agent: { model: gpt4, temprature: 2 }',
        '    output: { schema: { type: objekt } }',
        '    maxTurns: 0',
      ].join('\n'),
    );
    assert.match(message, /3:5: steps\[0\]\.prompt: missing required key "prompt"/);
    assert.match(message, /4:21: steps\[0\]\.agent\.model: expected <provider>:<model-id>/);
    assert.match(
      message,
      /steps\[0\]\.agent\.temprature: unknown key "temprature"; did you mean "temperature"\?/,
    );
    assert.match(message, /steps\[0\]\.output\.schema: not a valid JSON Schema/);
    assert.match(message, /steps\[0\]\.maxTurns: must be ≥ 1, got 0/);
  });

  test('an inline role may use ${{ args }} in HTTP tools and ${{ inputs }} in its instructions', () => {
    const message = loadErrors(
      [
        'name: ok',
        'inputs: { topic: string }',
        'steps:',
        '  - id: a',
        '    agent:',
        '      model: openai:gpt-4o-mini',
        '      instructions: Expert in ${{ inputs.topic }}',
        '      tools: [{ name: get, http: { url: "https://api.example.com/${{ args.id }}" } }]',
        '    prompt: go',
      ].join('\n'),
    );
    assert.equal(message, '');
  });

  test('invalid roles and tools of the top-level sections are load errors', () => {
    assert.throws(
      () =>
        loadWorkflowText(
          [
            'name: sections',
            'agents:',
            '  ok: { model: mock:echo }',
            '  broken: { model: mock:echo, maxTurns: many }',
            'tools:',
            '  fetch: { http: { method: GET } }',
            'steps:',
            '  - { id: a, agent: ok, prompt: hi }',
          ].join('\n'),
          { registry },
        ),
      (error: BatonError) => {
        const issues = (error.details.issues as { path: (string | number)[] }[]).map((issue) =>
          issue.path.join('.'),
        );
        assert.ok(issues.includes('agents.broken.maxTurns'), issues.join('\n'));
        assert.ok(
          issues.some((path) => path.startsWith('tools.fetch')),
          issues.join('\n'),
        );
        return true;
      },
    );
  });
});

describe('prices', () => {
  test('dated snapshots use their family’s price; other ids are unknown', () => {
    assert.equal(
      findPrice(DEFAULT_PRICES, 'openai:gpt-4o-mini-2024-07-18'),
      DEFAULT_PRICES.models['openai:gpt-4o-mini'],
    );
    assert.equal(
      findPrice(DEFAULT_PRICES, 'openai:gpt-4o-2024-08-06'),
      DEFAULT_PRICES.models['openai:gpt-4o'],
    );
    assert.equal(
      findPrice(DEFAULT_PRICES, 'anthropic:claude-sonnet-4-5-20250929'),
      DEFAULT_PRICES.models['anthropic:claude-sonnet-4-5'],
    );
    assert.equal(
      findPrice(DEFAULT_PRICES, 'anthropic:claude-3-5-haiku-latest'),
      DEFAULT_PRICES.models['anthropic:claude-3-5-haiku'],
    );
    assert.equal(findPrice(DEFAULT_PRICES, 'openai:gpt-4o-minimal'), undefined);
    assert.equal(findPrice(DEFAULT_PRICES, 'openai:gpt-4o-audio-preview'), undefined);
  });

  test('a price file and engine overrides replace or add models; a bad file is refused clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-prices-'));
    try {
      const file = join(dir, 'prices.json');
      writeFileSync(
        file,
        JSON.stringify({ version: 'team-1', models: { 'openai:gpt-4o-mini': { input: 1, output: 2 } } }),
      );
      const table = loadPriceTable({ models: { 'ollama:llama3.1': { input: 0.01, output: 0.02 } } }, file);
      assert.equal(table.version, 'team-1');
      assert.deepEqual(table.models['openai:gpt-4o-mini'], { input: 1, output: 2 });
      assert.deepEqual(table.models['ollama:llama3.1'], { input: 0.01, output: 0.02 });
      assert.deepEqual(table.models['openai:gpt-4o'], DEFAULT_PRICES.models['openai:gpt-4o']);
      writeFileSync(file, JSON.stringify({ models: { x: { input: 'cheap' } } }));
      assert.throws(() => loadPriceTable(undefined, file), /"x" needs numeric "input" and "output"/);
      writeFileSync(file, JSON.stringify({ models: { x: { input: 1, output: 2, cacheWrite: '1.25x' } } }));
      assert.throws(() => loadPriceTable(undefined, file), /"x"\.cacheWrite must be a number/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('cost counts cached input at the cache price; an unknown model costs 0 and is reported once', () => {
    const warned: string[] = [];
    const pricing = { prices: DEFAULT_PRICES, warnUnknownModel: onceWarner((m) => warned.push(m)) };
    const usage = usageOfCall(
      'anthropic:claude-sonnet-4-5',
      {
        inputTokens: 1_000_000,
        outputTokens: 100_000,
        inputTokenDetails: { cacheReadTokens: 400_000, noCacheTokens: 600_000, cacheWriteTokens: 0 },
      },
      pricing,
    );
    // 600k × $3 + 400k × $0.30 + 100k × $15, per million.
    assert.deepEqual(usage, {
      calls: 1,
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      cachedInputTokens: 400_000,
      costUsd: 3.42,
    });
    for (let i = 0; i < 3; i++)
      assert.equal(usageOfCall('openai:gpt-9', { inputTokens: 5, outputTokens: 5 }, pricing).costUsd, 0);
    assert.equal(usageOfCall('mock:echo', { inputTokens: 5, outputTokens: 5 }, pricing).costUsd, 0);
    assert.deepEqual(warned, ['openai:gpt-9']);
  });
});
