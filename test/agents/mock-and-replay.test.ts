// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * Offline agents: the `mock:` provider (echo, inline scripts with tool calls and JSON,
 * script files) and record/replay of real exchanges.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import type { BatonError } from '../../src/errors.ts';
import { type TestEngine, testEngine } from '../helpers/engine.ts';
import { agentHarness } from './support.ts';

describe('mock provider', () => {
  let t: TestEngine;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-mock-'));
    t = await testEngine({ agents: { env: {} } });
    t.engine.registerTool('search', {
      parameters: z.object({ q: z.string() }),
      execute: ({ q }: { q: string }) => [`${q}: result one`, `${q}: result two`],
    });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('mock:echo replies with the prompt, needs no key and costs nothing', async () => {
    const name = await t.define(
      [
        'name: echo',
        'steps:',
        '  - { id: a, agent: { model: "mock:echo" }, prompt: "Hello ${{ inputs.who }}" }',
        'inputs: { who: string }',
        'output: ${{ steps.a.output }}',
      ].join('\n'),
    );
    const handle = await t.engine.start(name, { who: 'Ada' });
    const output = (await handle.result()) as { text: string; usage: { calls: number; costUsd: number } };
    assert.equal(output.text, 'Hello Ada');
    assert.equal(output.usage.calls, 1);
    assert.equal(output.usage.costUsd, 0);
  });

  test('an inline script calls tools, sees their results and answers with JSON for a schema', async () => {
    const name = await t.define(
      [
        'name: scripted',
        'agents:',
        '  researcher:',
        '    model: mock:script',
        '    tools: [search]',
        '    mock:',
        '      - toolCalls: [{ name: search, args: { q: durable workflows } }]',
        '      - text: "Found {{toolResults}} for {{prompt}}"',
        '  structured:',
        '    model: mock:script',
        '    output: { schema: { type: object, required: [topic], properties: { topic: { type: string } } } }',
        '    mock:',
        '      - { when: cats, json: { topic: cats } }',
        '      - { json: { topic: other } }',
        'steps:',
        '  - { id: research, agent: researcher, prompt: Research it }',
        '  - { id: cats, agent: structured, prompt: All about cats }',
        '  - { id: dogs, agent: structured, prompt: All about dogs }',
        'output:',
        '  research: ${{ steps.research.output }}',
        '  cats: ${{ steps.cats.output.output }}',
        '  dogs: ${{ steps.dogs.output.output }}',
      ].join('\n'),
    );
    const output = (await t.engine.run(name)) as {
      research: { text: string; toolCalls: string[]; turns: number };
      cats: unknown;
      dogs: unknown;
    };
    assert.equal(
      output.research.text,
      'Found [["durable workflows: result one","durable workflows: result two"]] for Research it',
    );
    assert.deepEqual(output.research.toolCalls, ['search']);
    assert.equal(output.research.turns, 2);
    assert.deepEqual(output.cats, { topic: 'cats' });
    assert.deepEqual(output.dogs, { topic: 'other' });
  });

  test('mock:<file.json> reads its replies from a file; a bad file fails with a clear message', async () => {
    const file = join(dir, 'replies.json');
    writeFileSync(file, JSON.stringify([{ text: 'from the file' }]));
    const name = await t.define(
      [
        'name: from-file',
        'steps:',
        `  - { id: a, agent: { model: "mock:${file}" }, prompt: hi }`,
        'output: ${{ steps.a.output.text }}',
      ].join('\n'),
    );
    assert.equal(await t.engine.run(name), 'from the file');

    writeFileSync(file, JSON.stringify([{ txt: 'typo' }]));
    await assert.rejects(t.engine.run(name), (error: BatonError) => {
      const cause = error.details.error as { code: string; message: string };
      assert.equal(cause.code, 'LLM_NOT_CONFIGURED');
      assert.match(cause.message, /mock script .*replies\.json is invalid: 0: Unrecognized key: "txt"/);
      return true;
    });
  });
});

describe('record and replay', () => {
  test('BATON_LLM_RECORD records real exchanges; BATON_LLM_REPLAY serves them offline and refuses new requests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-replay-'));
    const file = join(dir, 'llm.json');
    const workflow = (prompt: string) =>
      [
        `name: replayed`,
        'agents:',
        '  helper: { model: openai:gpt-4o-mini, tools: [clock] }',
        'steps:',
        `  - { id: a, agent: helper, prompt: "${prompt}" }`,
        'output: ${{ steps.a.output }}',
      ].join('\n');
    const clock = { execute: () => '12:00' };
    try {
      const live = await agentHarness(
        [
          { toolCalls: [{ id: 'call_t', name: 'clock', args: {} }], usage: { prompt: 50, completion: 5 } },
          { text: 'It is noon.', usage: { prompt: 60, completion: 4 } },
        ],
        { agents: { record: file } },
      );
      let recorded: unknown;
      try {
        live.t.engine.registerTool('clock', clock);
        recorded = await live.t.engine.run(await live.t.define(workflow('What time is it?')));
      } finally {
        await live.close();
      }
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { exchanges: Record<string, unknown> };
      assert.equal(Object.keys(saved.exchanges).length, 2);
      assert.ok(!readFileSync(file, 'utf8').includes('sk-test'), 'no key in the recording');

      const offline = await testEngine({ agents: { replay: file, env: {} } });
      try {
        offline.engine.registerTool('clock', clock);
        const replayed = (await offline.engine.run(await offline.define(workflow('What time is it?')))) as {
          text: string;
          usage: unknown;
        };
        assert.deepEqual(replayed, recorded);
        await assert.rejects(
          offline.engine.run(await offline.define(workflow('What day is it?'))),
          (error: BatonError) => {
            const cause = error.details.error as { code: string; message: string };
            assert.equal(cause.code, 'LLM_REPLAY_MISSING');
            assert.match(cause.message, /holds no recorded answer for this openai:gpt-4o-mini request/);
            return true;
          },
        );
      } finally {
        await offline.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
