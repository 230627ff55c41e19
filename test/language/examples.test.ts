/** The broken workflows in examples/invalid, loaded from disk as `baton validate` would. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BatonError } from '../../src/errors.ts';
import { type Issue, loadWorkflowFile } from '../../src/language/index.ts';
import { registry, summarize } from './fixtures.ts';

async function issuesOfFile(name: string): Promise<{ file: string; issues: Issue[] }> {
  const file = fileURLToPath(new URL(`../../examples/invalid/${name}`, import.meta.url));
  try {
    await loadWorkflowFile(file, { registry });
  } catch (error) {
    assert.ok(error instanceof BatonError);
    assert.equal(error.code, 'WORKFLOW_INVALID');
    return { file, issues: error.details.issues as Issue[] };
  }
  assert.fail(`${name} should be invalid`);
}

describe('examples/invalid', () => {
  test('five-mistakes.yaml reports five issues', async () => {
    const { file, issues } = await issuesOfFile('five-mistakes.yaml');
    assert.ok(issues.every((issue) => issue.file === file));
    assert.deepEqual(summarize(issues), [
      '3:1 tiemout: unknown key "tiemout"; did you mean "timeout"?',
      '6:5 steps[0].htpp: unknown key "htpp"; did you mean "http"?',
      '9:13 steps[1].needs[0]: unknown step "fetc" in needs; did you mean "fetch"?',
      '10:24 steps[1].retry.attempts: attempts must be at least 1 (1 means no retry)',
      '11:5 steps[1].timout: unknown key "timout"; did you mean "timeout"?',
    ]);
  });

  test('cycle.yaml reports the cycle path', async () => {
    const { issues } = await issuesOfFile('cycle.yaml');
    assert.deepEqual(summarize(issues), ['6:13 steps[0].needs[0]: cycle: a → c → b → a']);
  });

  test('nested-reference.yaml reports the hidden step and the misspelt input', async () => {
    const { issues } = await issuesOfFile('nested-reference.yaml');
    assert.deepEqual(summarize(issues), [
      '12:27 steps[0].loop.steps[0].input.topic: unknown input "topik"; did you mean "topic"?',
      '15:12 steps[1].input: step "check" is inside "poll"; refer to steps.poll.output',
    ]);
  });

  test('mistakes.json reports positions in a JSON file', async () => {
    const { issues } = await issuesOfFile('mistakes.json');
    assert.deepEqual(summarize(issues), [
      '3:56 inputs.count.default: default must be an integer, got string "three"',
      '4:26 steps[0].tsak: unknown key "tsak"; did you mean "task"?',
      '4:82 steps[1].needs[1]: unknown step "zz" in needs',
    ]);
  });
});
