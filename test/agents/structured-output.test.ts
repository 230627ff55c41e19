/**
 * Structured output: the model is asked for JSON matching the schema, the answer is
 * validated, one repair turn says what was wrong, and a second failure fails the step.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BatonError } from '../../src/errors.ts';
import { type AgentHarness, agentHarness, oneAgentWorkflow } from './support.ts';

const SCHEMA =
  '{ type: object, required: [findings, confidence], additionalProperties: false, properties: ' +
  '{ findings: { type: array, items: { type: string } }, confidence: { type: number, minimum: 0, maximum: 1 } } }';

describe('structured output', () => {
  let h: AgentHarness;
  let name: string;
  before(async () => {
    h = await agentHarness();
    name = await h.t.define(
      oneAgentWorkflow(
        'structured',
        '{ model: openai:gpt-4o-mini, instructions: Research. }',
        `output: { schema: ${SCHEMA} }`,
      ),
    );
  });
  after(() => h.close());

  test('a valid JSON answer becomes the step’s output; the request asks for the schema', async () => {
    h.server.push({ text: '{"findings":["a","b"],"confidence":0.8}' });
    const before = h.server.requests.length;
    const output = (await h.t.engine.run(name)) as { output: unknown; turns: number };
    assert.deepEqual(output.output, { findings: ['a', 'b'], confidence: 0.8 });
    assert.equal(output.turns, 1);
    const format = h.server.requests[before].body.response_format as {
      type: string;
      json_schema: { schema: unknown };
    };
    assert.equal(format.type, 'json_schema');
    assert.deepEqual((format.json_schema.schema as { required: string[] }).required, [
      'findings',
      'confidence',
    ]);
  });

  test('an invalid answer gets one repair turn that lists the problems', async () => {
    h.server.push(
      { text: 'Sure! {"findings":"just one","confidence":3}' },
      { text: '```json\n{"findings":["one"],"confidence":0.5}\n```' },
    );
    const before = h.server.requests.length;
    const output = (await h.t.engine.run(name)) as { output: unknown; turns: number };
    assert.deepEqual(output.output, { findings: ['one'], confidence: 0.5 });
    assert.equal(output.turns, 2);
    const repair = h.server.requests[before + 1].body.messages.at(-1);
    assert.equal(repair?.role, 'user');
    assert.match(String(repair?.content), /did not match the required JSON Schema/);
    assert.match(String(repair?.content), /the reply is not JSON/);
  });

  test('a second invalid answer fails the step with the validation errors, not retried', async () => {
    h.server.push(
      { text: '{"findings":"x"}' },
      { text: '{"findings":["x"],"confidence":7,"extra":true}' },
      { text: '{"findings":["never asked"],"confidence":0.1}' },
    );
    const before = h.server.requests.length;
    await assert.rejects(h.t.engine.run(name), (error: BatonError) => {
      const cause = error.details.error as { code: string; message: string; retryable: boolean };
      assert.equal(cause.code, 'AGENT_OUTPUT_INVALID');
      assert.equal(cause.retryable, false);
      assert.match(cause.message, /\/confidence must be <= 1/);
      assert.match(cause.message, /unexpected property "extra"/);
      return true;
    });
    assert.equal(h.server.requests.length - before, 2, 'one answer and one repair, no retry');
    h.server.clear();
  });
});
