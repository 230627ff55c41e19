// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/** The language front end against the real step kinds (src/kinds/builtin.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { loadWorkflowText, type StepDefinition, workflowJsonSchema } from '../../src/language/index.ts';
import { issuesOf, summarize, yaml } from './fixtures.ts';

const registry = createBuiltinRegistry();

const pipeline = yaml(
  'name: research-report',
  'version: 1.0.0',
  'inputs:',
  '  topic: string',
  '  tier: { type: string, enum: [free, gold], default: free }',
  'defaults:',
  '  retry: { attempts: 3, backoff: exponential, delay: 1s, maxDelay: 1m, jitter: full }',
  '  timeout: 5m',
  'steps:',
  '  - id: search',
  '    http: { url: "https://api.example.com/search?q=${{ inputs.topic }}" }',
  '  - id: summaries',
  '    map:',
  '      items: ${{ steps.search.output.body.results }}',
  '      concurrency: 4',
  '      steps:',
  '        - id: summarize',
  '          task: summarize',
  '          input: { doc: "${{ item }}", position: "${{ index }}" }',
  '      output: ${{ steps.summarize.output }}',
  '  - id: route',
  '    switch:',
  '      cases:',
  '        - when: ${{ inputs.tier == "gold" }}',
  '          steps:',
  '            - id: polish',
  '              loop:',
  '                maxIterations: 3',
  '                until: ${{ steps.review.output.ok }}',
  '                steps:',
  '                  - id: review',
  '                    script: { code: "return { ok: input.round > 1 }" }',
  '                    input: { round: "${{ loop.index }}", docs: "${{ steps.summaries.output }}" }',
  '      default:',
  '        output: plain',
  '  - id: approve',
  '    approval: { message: "Publish ${{ steps.route.output }}?", timeout: 24h }',
  '  - id: pause',
  '    wait: 10s',
  '    needs: approve',
  '  - id: publish',
  '    parallel:',
  '      - { id: post, http: { url: "https://x/publish", method: POST, body: "${{ steps.route.output }}" } }',
  '      - { id: record, set: { done: true } }',
  '    if: ${{ steps.approve.output.approved }}',
  '    needs: pause',
  'output: ${{ steps.publish.output }}',
);

function find(steps: StepDefinition[], id: string): StepDefinition | undefined {
  for (const step of steps) {
    if (step.id === id) return step;
    for (const block of step.blocks) {
      const found = find(block.steps, id);
      if (found) return found;
    }
  }
  return undefined;
}

describe('with the built-in kinds', () => {
  test('a pipeline using map, switch, loop, script, approval, wait and parallel loads', () => {
    const definition = loadWorkflowText(pipeline, { registry, file: 'pipeline.yaml' });
    const ids = (id: string) => find(definition.steps, id);
    assert.deepEqual(
      definition.steps.map((step) => [step.id, step.kind, step.needs]),
      [
        ['search', 'http', []],
        ['summaries', 'map', ['search']],
        ['route', 'switch', ['summaries']],
        ['approve', 'approval', ['route']],
        ['pause', 'wait', ['approve']],
        // Explicit needs first, then those implied by references (`if` before the config).
        ['publish', 'parallel', ['pause', 'approve', 'route']],
      ],
    );
    assert.deepEqual(
      ids('route')?.blocks.map((block) => block.key),
      ['case:0'],
    );
    assert.deepEqual(ids('polish')?.needs, []);
    assert.equal(ids('review')?.kind, 'script');
    assert.deepEqual(ids('pause')?.config, { for: 10_000 });
    assert.deepEqual(
      ids('publish')?.blocks[0].steps.map((step) => step.id),
      ['post', 'record'],
    );
    // http's own default (3 attempts) sits under defaults.retry; the map body inherits the workflow timeout.
    assert.equal(ids('search')?.retry.attempts, 3);
    assert.equal(ids('summarize')?.timeout, 300_000);
    assert.equal(ids('review')?.retry.delay, 1000);
  });

  test('the JSON Schema of the real kinds accepts the pipeline and rejects a misspelt kind', () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(workflowJsonSchema(registry));
    const document = parse(pipeline);
    assert.equal(validate(document), true, JSON.stringify(validate.errors));
    document.steps[0].htp = document.steps[0].http;
    delete document.steps[0].http;
    assert.equal(validate(document), false);
  });

  test('mistakes inside kind configs are reported at their positions', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: broken',
            'steps:',
            '  - id: a',
            '    http: { ur: "https://x" }',
            '  - id: l',
            '    loop:',
            '      until: ${{ steps.nope.output }}',
            '      steps:',
            '        - id: inner',
            '          tsk: x',
            '  - id: w',
            '    wait: { for: soon }',
          ),
          'broken.yaml',
          registry,
        ),
      ),
      [
        '4:11 steps[0].http.url: missing required key "url"',
        '4:13 steps[0].http.ur: unknown key "ur"; did you mean "url"?',
        '7:7 steps[1].loop.maxIterations: missing required key "maxIterations"',
        '7:14 steps[1].loop.until: unknown step "nope" in steps.nope',
        '10:11 steps[1].loop.steps[0].tsk: unknown key "tsk"; did you mean "task"?',
        '12:18 steps[2].wait.for: "soon" is neither a duration (e.g. 30s, 5m, 2h, or milliseconds) nor a ${{ }} template',
      ],
    );
  });
});
