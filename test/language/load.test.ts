// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import {
  DEFAULT_RETRY,
  loadWorkflowFile,
  loadWorkflowText,
  normalizeWorkflow,
} from '../../src/language/index.ts';
import { registry, yaml } from './fixtures.ts';

describe('loading a valid workflow', () => {
  test('normalises durations, needs, retry, kind, config and extras', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: research-report',
        'description: Finds things out',
        'inputs:',
        '  topic: string',
        'concurrency: 4',
        'timeout: 1h',
        'steps:',
        '  - id: fetch',
        '    name: Fetch prices',
        '    http: { url: "https://example.com/${{ inputs.topic }}", timeout: 10s }',
        '    timeout: 30s',
        '  - id: report',
        '    needs: fetch',
        '    task: write',
        '    input: { prices: "${{ steps.fetch.output }}" }',
        '    continueOnError: true',
        'output: ${{ steps.report.output }}',
        'metadata: { team: research }',
      ),
      { registry },
    );
    assert.equal(definition.name, 'research-report');
    assert.equal(definition.version, '1');
    assert.equal(definition.description, 'Finds things out');
    assert.equal(definition.concurrency, 4);
    assert.equal(definition.timeout, 3_600_000);
    assert.deepEqual(definition.inputs, { topic: { type: 'string', required: true } });
    assert.deepEqual(definition.metadata, { team: 'research' });
    assert.equal(definition.output, '${{ steps.report.output }}');
    assert.deepEqual(definition.sections, {});

    const [fetch, report] = definition.steps;
    assert.equal(fetch.kind, 'http');
    assert.equal(fetch.name, 'Fetch prices');
    assert.equal(fetch.timeout, 30_000);
    assert.deepEqual(fetch.config, { url: 'https://example.com/${{ inputs.topic }}', timeout: 10_000 });
    assert.deepEqual(fetch.needs, []);
    assert.deepEqual(fetch.retry, DEFAULT_RETRY);
    assert.equal(fetch.continueOnError, false);

    assert.equal(report.kind, 'task');
    assert.equal(report.config, 'write');
    assert.deepEqual(report.extras, { input: { prices: '${{ steps.fetch.output }}' } });
    assert.deepEqual(report.explicitNeeds, ['fetch']);
    assert.deepEqual(report.needs, ['fetch']);
    assert.equal(report.continueOnError, true);
    assert.deepEqual(report.blocks, []);
  });

  test('version keeps the digits as written; default is "1"', () => {
    const load = (version: string) =>
      loadWorkflowText(yaml('name: v', version, 'steps: [{ id: a, task: t }]'), { registry }).version;
    assert.equal(load('version: 1.0'), '1.0');
    assert.equal(load('version: 2'), '2');
    assert.equal(load('version: 1.0.0'), '1.0.0');
    assert.equal(load('version: "3.10"'), '3.10');
    assert.equal(load(''), '1');
  });

  test('retry merges built-in < kind default < defaults.retry < step retry', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: merge',
        'defaults:',
        '  retry: { backoff: linear, maxDelay: 2m, nonRetryable: [BAD_REQUEST] }',
        '  timeout: 5m',
        'steps:',
        '  - id: plain',
        '    http: { url: "https://x" }',
        '  - id: task_default',
        '    task: t',
        '  - id: own',
        '    task: t',
        '    retry: { attempts: 7, jitter: none }',
        '    timeout: 1s',
      ),
      { registry },
    );
    const [plain, taskDefault, own] = definition.steps;
    assert.deepEqual(definition.defaults, {
      retry: { ...DEFAULT_RETRY, backoff: 'linear', maxDelay: 120_000, nonRetryable: ['BAD_REQUEST'] },
      timeout: 300_000,
    });
    assert.deepEqual(plain.retry, {
      ...DEFAULT_RETRY,
      backoff: 'linear',
      maxDelay: 120_000,
      nonRetryable: ['BAD_REQUEST'],
    });
    assert.equal(plain.timeout, 300_000);
    // The task kind's default (3 attempts, 500ms) is under defaults.retry, which does not set those fields.
    assert.deepEqual(taskDefault.retry, {
      ...DEFAULT_RETRY,
      attempts: 3,
      delay: 500,
      backoff: 'linear',
      maxDelay: 120_000,
      nonRetryable: ['BAD_REQUEST'],
    });
    assert.equal(own.retry.attempts, 7);
    assert.equal(own.retry.jitter, 'none');
    assert.equal(own.retry.delay, 500);
    assert.equal(own.timeout, 1000);
  });

  test('defaults.retry overrides a kind default field by field', () => {
    const definition = loadWorkflowText(
      yaml('name: d', 'defaults: { retry: { attempts: 1 } }', 'steps: [{ id: a, task: t }]'),
      { registry },
    );
    assert.equal(definition.steps[0].retry.attempts, 1);
    assert.equal(definition.steps[0].retry.delay, 500);
  });

  test('known future sections are kept untouched in `sections`', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: s',
        'agents: { writer: { model: "openai:gpt-4o-mini" } }',
        'budget: { usd: 2, onExceed: pause }',
        'triggers: [{ cron: "0 * * * *" }]',
        'secrets: [API_KEY]',
        'tools: { search: { http: x } }',
        'steps: [{ id: a, task: t }]',
      ),
      { registry },
    );
    assert.deepEqual(definition.sections, {
      agents: { writer: { model: 'openai:gpt-4o-mini' } },
      budget: { usd: 2, onExceed: 'pause' },
      triggers: [{ cron: '0 * * * *' }],
      secrets: ['API_KEY'],
      tools: { search: { http: 'x' } },
    });
  });

  test('top-level x- keys hold YAML anchors and are otherwise ignored', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: anchors',
        'x-retry: &retry { attempts: 4 }',
        'steps:',
        '  - { id: a, task: t, retry: *retry }',
        '  - { id: b, task: t, retry: *retry }',
      ),
      { registry },
    );
    assert.deepEqual(
      definition.steps.map((step) => step.retry.attempts),
      [4, 4],
    );
    assert.deepEqual(definition.sections, {});
  });

  test('`if` accepts ${{ }}, a bare expression and booleans', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: conditions',
        'steps:',
        '  - { id: a, task: t }',
        '  - { id: b, task: t, if: "${{ steps.a.output.ok }}" }',
        '  - { id: c, task: t, if: steps.a.output.ok && true }',
        '  - { id: d, task: t, if: false }',
      ),
      { registry },
    );
    const [, b, c, d] = definition.steps;
    assert.equal(b.if, '${{ steps.a.output.ok }}');
    assert.deepEqual(b.needs, ['a']);
    assert.equal(c.if, 'steps.a.output.ok && true');
    assert.deepEqual(c.needs, ['a']);
    assert.equal(d.if, 'false');
  });

  test('JSON text loads through the same parser', () => {
    const definition = loadWorkflowText(
      '{\n\t"name": "from-json",\n\t"version": 2.0,\n\t"steps": [\n\t\t{ "id": "a", "task": "t", "timeout": "2s" }\n\t]\n}\n',
      { registry, file: 'flow.json' },
    );
    assert.equal(definition.name, 'from-json');
    assert.equal(definition.version, '2.0');
    assert.equal(definition.steps[0].timeout, 2000);
  });
});

describe('nested blocks', () => {
  test('nested step lists become blocks, inherit defaults and leave the rest of the config as the kind parsed it', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: nested',
        'defaults: { retry: { attempts: 4 }, timeout: 9s }',
        'steps:',
        '  - id: outer',
        '    each:',
        '      items: [1, 2]',
        '      do:',
        '        - id: first',
        '          task: t',
        '          input: ${{ item }}',
        '        - id: second',
        '          loop:',
        '            until: ${{ loop.index > 2 }}',
        '            steps:',
        '              - id: deep',
        '                http: { url: "https://x/${{ index }}" }',
        '      else:',
        '        - { id: fallback, task: t }',
      ),
      { registry },
    );
    const [outer] = definition.steps;
    assert.equal(outer.kind, 'each');
    assert.deepEqual(
      outer.blocks.map((block) => [block.key, block.steps.map((step) => step.id)]),
      [
        ['do', ['first', 'second']],
        ['else', ['fallback']],
      ],
    );
    const second = outer.blocks[0].steps[1];
    assert.equal(second.blocks[0].key, 'body');
    const deep = second.blocks[0].steps[0];
    assert.equal(deep.id, 'deep');
    assert.equal(deep.retry.attempts, 4);
    assert.equal(deep.timeout, 9000);
    assert.deepEqual(outer.config, { items: [1, 2] }, 'nested lists live only in blocks');
  });
});

describe('normalizeWorkflow (plain objects from the TypeScript builder)', () => {
  test('treats undefined properties as absent', () => {
    const definition = normalizeWorkflow(
      {
        name: 'built',
        description: undefined,
        steps: [{ id: 'a', task: 't', retry: undefined, input: { x: 1, y: undefined } }],
      },
      { registry },
    );
    assert.equal(definition.description, undefined);
    assert.deepEqual(definition.steps[0].extras, { input: { x: 1 } });
  });

  test('reports issues with paths and no positions', () => {
    assert.throws(
      () =>
        normalizeWorkflow(
          { name: 'built', steps: [{ id: 'a', tsk: 't' }] },
          { registry, source: { file: 'builder.ts' } },
        ),
      (error: unknown) => {
        assert.ok(error instanceof BatonError);
        assert.equal(error.code, 'WORKFLOW_INVALID');
        assert.deepEqual(error.details.issues, [
          {
            file: 'builder.ts',
            path: ['steps', 0, 'tsk'],
            message: 'unknown key "tsk"; did you mean "task"?',
            suggestion: 'task',
          },
        ]);
        assert.equal(error.message, 'builder.ts: steps[0].tsk: unknown key "tsk"; did you mean "task"?');
        return true;
      },
    );
  });

  test('a circular object is WORKFLOW_INVALID, not a stack overflow', () => {
    const step: Record<string, unknown> = { id: 'a', task: 't' };
    step.input = step;
    assert.throws(() => normalizeWorkflow({ name: 'c', steps: [step] }, { registry }), {
      code: 'WORKFLOW_INVALID',
    });
  });
});

describe('loadWorkflowFile', () => {
  test('loads a file and names it in issues; missing and unreadable files have their own codes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-language-'));
    try {
      const good = join(dir, 'good.yaml');
      await writeFile(good, yaml('name: good', 'steps: [{ id: a, task: t }]'));
      assert.equal((await loadWorkflowFile(good, { registry })).name, 'good');

      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, yaml('name: bad', 'steps: [{ id: a, tsk: t }]'));
      await assert.rejects(loadWorkflowFile(bad, { registry }), (error: BatonError) => {
        assert.equal(error.code, 'WORKFLOW_INVALID');
        assert.equal(error.message, `${bad}:2:18: steps[0].tsk: unknown key "tsk"; did you mean "task"?`);
        return true;
      });

      await assert.rejects(loadWorkflowFile(join(dir, 'missing.yaml'), { registry }), {
        code: 'FILE_NOT_FOUND',
      });
      await assert.rejects(loadWorkflowFile(dir, { registry }), { code: 'FILE_UNREADABLE' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
