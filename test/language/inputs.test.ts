import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { type Issue, loadWorkflowText, validateRunInputs } from '../../src/language/index.ts';
import { issuesOf, registry, summarize, yaml } from './fixtures.ts';

const withInputs = (...lines: string[]) =>
  yaml('name: i', 'inputs:', ...lines, 'steps: [{ id: a, task: t }]');

describe('input specifications', () => {
  test('shorthand, full form, defaults make inputs optional, extra JSON Schema keywords go to schema', () => {
    const definition = loadWorkflowText(
      withInputs(
        '  topic: string',
        '  count: { type: integer, default: 3, minimum: 1, maximum: 10, description: How many }',
        '  tags: { type: array, items: { type: string }, required: false }',
        '  tier: { type: string, enum: [free, gold] }',
        '  anything:',
      ),
      { registry },
    );
    assert.deepEqual(definition.inputs, {
      topic: { type: 'string', required: true },
      count: {
        type: 'integer',
        required: false,
        default: 3,
        description: 'How many',
        schema: { minimum: 1, maximum: 10 },
      },
      tags: { type: 'array', required: false, schema: { items: { type: 'string' } } },
      tier: { type: 'string', required: true, enum: ['free', 'gold'] },
      anything: { type: 'any', required: true },
    });
  });

  test('bad types, defaults that do not match, enum values of the wrong type', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          withInputs(
            '  a: strng',
            '  b: { type: integer, default: "three" }',
            '  c: { type: string, enum: [x, 2] }',
            '  d: { type: string, default: zzz, enum: [x, y] }',
            '  e: { type: number, default: 0, minimum: 1 }',
            '  f: [1]',
          ),
        ),
      ),
      [
        '3:6 inputs.a: unknown input type "strng"; did you mean "string"?; expected one of "string", "number", "integer", "boolean", "object", "array", "any"',
        '4:32 inputs.b.default: default must be an integer, got string "three"',
        '5:32 inputs.c.enum[1]: enum value must be a string, got the integer 2',
        '6:31 inputs.d.default: default must be one of "x", "y", got string "zzz"',
        '7:31 inputs.e.default: default must be >= 1',
        '8:6 inputs.f: expected a type name (string, number, integer, boolean, object, array, any) or a mapping such as { type: string }',
      ],
    );
  });
});

describe('validateRunInputs', () => {
  const definition = loadWorkflowText(
    withInputs(
      '  topic: string',
      '  count: { type: integer, default: 3, minimum: 1 }',
      '  tier: { type: string, enum: [free, gold], default: free }',
      '  email: { type: string, format: email, required: false }',
      '  options: { type: object, default: { deep: true } }',
    ),
    { registry },
  );

  function rejection(inputs: Record<string, unknown>): Issue[] {
    try {
      validateRunInputs(definition, inputs);
    } catch (error) {
      assert.ok(error instanceof BatonError);
      assert.equal(error.code, 'INVALID_INPUT');
      return error.details.issues as Issue[];
    }
    assert.fail('expected INVALID_INPUT');
  }

  test('applies defaults and leaves absent optional inputs out', () => {
    const result = validateRunInputs(definition, { topic: 'llamas' });
    assert.deepEqual(result, { topic: 'llamas', count: 3, tier: 'free', options: { deep: true } });
  });

  test('defaults are copies, not shared with the definition', () => {
    const result = validateRunInputs(definition, { topic: 'x' }) as { options: { deep: boolean } };
    result.options.deep = false;
    assert.deepEqual(definition.inputs.options.default, { deep: true });
  });

  test('given values win and are validated against type, enum and format', () => {
    assert.deepEqual(validateRunInputs(definition, { topic: 'x', count: 5, tier: 'gold', email: 'a@b.co' }), {
      topic: 'x',
      count: 5,
      tier: 'gold',
      email: 'a@b.co',
      options: { deep: true },
    });
  });

  test('reports every missing, mistyped and unknown input at once, with suggestions', () => {
    const issues = rejection({ count: 'many', tier: 'glod', email: 'not-an-email', topik: 'x' });
    assert.deepEqual(
      issues.map((issue) => [issue.path.join('.'), issue.message]),
      [
        ['inputs.topic', 'missing required input "topic" of type string'],
        ['inputs.count', 'must be an integer, got string "many"'],
        ['inputs.tier', 'must be one of "free", "gold", got string "glod"; did you mean "gold"?'],
        ['inputs.email', 'must match format "email"'],
        ['inputs.topik', 'unknown input "topik"; did you mean "topic"?'],
      ],
    );
    assert.equal(issues[4].suggestion, 'topic');
  });

  test('the error message lists the issues one per line', () => {
    assert.throws(() => validateRunInputs(definition, { count: 0 }), {
      code: 'INVALID_INPUT',
      message:
        'Invalid inputs for workflow "i":\ninputs.topic: missing required input "topic" of type string\ninputs.count: must be >= 1',
    });
  });

  test('a workflow without inputs rejects any input and says so', () => {
    const bare = loadWorkflowText(yaml('name: bare', 'steps: [{ id: a, task: t }]'), { registry });
    assert.deepEqual(validateRunInputs(bare, {}), {});
    assert.throws(() => validateRunInputs(bare, { x: 1 }), {
      code: 'INVALID_INPUT',
      message: /unknown input "x"; the workflow declares no inputs/,
    });
  });
});
