// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { loadWorkflowText, workflowJsonSchema } from '../../src/language/index.ts';
import { registry, yaml } from './fixtures.ts';

type Schema = {
  properties: Record<string, { description?: string }>;
  $defs: Record<string, { properties: Record<string, { description?: string }>; oneOf: unknown[] }>;
};

function compile(schema: object) {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

const example = yaml(
  'name: example',
  'version: 1.0.0',
  'inputs:',
  '  topic: string',
  '  count: { type: integer, default: 2 }',
  'defaults: { retry: { attempts: 3, backoff: exponential, delay: 1s }, timeout: 5m }',
  'agents: { writer: { model: x } }',
  'steps:',
  '  - id: fetch',
  '    http: { url: "https://example.com/${{ inputs.topic }}", method: GET, timeout: 10s }',
  '    retry: { attempts: 5 }',
  '  - id: each',
  '    needs: [fetch]',
  '    each:',
  '      items: ${{ steps.fetch.output }}',
  '      do:',
  '        - id: work',
  '          task: process',
  '          input: ${{ item }}',
  '          if: ${{ index > 0 }}',
  'output: ${{ steps.each.output }}',
);

describe('workflowJsonSchema', () => {
  const schema = workflowJsonSchema(registry) as Schema;
  const validate = compile(schema);

  test('is a valid draft 2020-12 JSON Schema with descriptions', () => {
    assert.equal((schema as { $schema?: string }).$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.match(schema.properties.steps.description ?? '', /steps/);
    assert.match(schema.properties.agents.description ?? '', /Agent/);
    const step = schema.$defs.step;
    assert.equal(step.properties.task.description, 'Runs a registered handler.');
    assert.ok(step.properties.id.description);
    assert.deepEqual(Object.keys(step.properties).sort(), [
      'continueOnError',
      'description',
      'each',
      'http',
      'id',
      'if',
      'input',
      'loop',
      'name',
      'needs',
      'priority',
      'queue',
      'retry',
      'task',
      'timeout',
    ]);
    assert.equal(step.oneOf.length, 4);
  });

  test('accepts a correct document (the same one the loader accepts)', () => {
    const document = parse(example);
    loadWorkflowText(example, { registry });
    assert.equal(validate(document), true, JSON.stringify(validate.errors));
  });

  test('nested step lists are checked with the step schema', () => {
    const document = parse(example);
    document.steps[1].each.do[0].tsk = 'x';
    assert.equal(validate(document), false);
    assert.ok(validate.errors?.some((error) => error.instancePath === '/steps/1/each/do/0'));
  });

  test('rejects a misspelt kind key, two kind keys, an unknown top-level key', () => {
    const misspelt = parse(example);
    misspelt.steps[0].htpp = misspelt.steps[0].http;
    delete misspelt.steps[0].http;
    assert.equal(validate(misspelt), false);

    const twoKinds = parse(example);
    twoKinds.steps[0].task = 'also';
    assert.equal(validate(twoKinds), false);

    const anchors = parse(example);
    anchors['x-shared'] = { attempts: 2 };
    assert.equal(validate(anchors), true, JSON.stringify(validate.errors));

    const unknownTop = parse(example);
    unknownTop.tiemout = '5m';
    assert.equal(validate(unknownTop), false);
  });
});
