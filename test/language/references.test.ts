// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadWorkflowText, type StepDefinition } from '../../src/language/index.ts';
import { issuesOf, registry, summarize, yaml } from './fixtures.ts';

function needsOf(steps: StepDefinition[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const visit = (list: StepDefinition[]) => {
    for (const step of list) {
      result[step.id] = step.needs;
      for (const block of step.blocks) visit(block.steps);
    }
  };
  visit(steps);
  return result;
}

describe('expressions', () => {
  // The wording of expression errors belongs to the expression module; these tests pin positions and the gist.
  test('syntax errors point at the offending character of a one-line string', () => {
    const issues = issuesOf(
      yaml(
        'name: e',
        'steps:',
        '  - id: a',
        '    task: t',
        '    input: ${{ 1 + }}',
        '  - id: b',
        '    task: t',
        '    input: "x ${{ (inputs }} y"',
        "    if: '${{ 1 + }}'",
      ),
    );
    assert.deepEqual(
      issues.map((issue) => [issue.line, issue.column, issue.path.join('.')]),
      [
        [5, 20, 'steps.0.input'],
        [8, 27, 'steps.1.input'],
        [9, 18, 'steps.1.if'],
      ],
    );
    assert.match(
      issues[0].message,
      /^Expected an expression after "\+" at column 9 in expression "\$\{\{ 1 \+ \}\}"/,
    );
    assert.match(issues[1].message, /\(/);
  });

  test('a multi-line string reports at the field', () => {
    const [issue] = issuesOf(
      yaml('name: e', 'steps:', '  - id: a', '    task: t', '    input: >', '      text ${{ 1 + }}'),
    );
    assert.deepEqual([issue.line, issue.column], [5, 12]);
    assert.match(issue.message, /Expected an expression after "\+" at column \d+/);
  });

  test('unknown roots and functions are errors; block variables are not visible outside their block', () => {
    const issues = issuesOf(
      yaml(
        'name: e',
        'steps:',
        '  - id: a',
        '    task: t',
        '    input: ${{ secretz.key }}',
        '  - id: b',
        '    task: t',
        '    input: ${{ item }}',
        '  - id: c',
        '    task: t',
        '    if: ${{ always() && nosuchfn() }}',
      ),
    );
    assert.deepEqual(
      issues.map((issue) => [issue.line, issue.column, issue.path.join('.')]),
      [
        [5, 16, 'steps.0.input'],
        [8, 16, 'steps.1.input'],
        [11, 25, 'steps.2.if'],
      ],
    );
    assert.match(issues[0].message, /Unknown name "secretz".*did you mean "secrets"\?/);
    assert.match(issues[1].message, /Unknown name "item"/);
    assert.match(issues[2].message, /Unknown function "nosuchfn"/);
  });

  test('the environment is not an expression root: decisions must not depend on the machine', () => {
    const issues = issuesOf(
      yaml('name: bad', 'steps:', '  - id: a', '    task: t', '    input: ${{ env.HOME }}'),
    );
    assert.deepEqual(
      issues.map((issue) => [issue.line, issue.path.join('.')]),
      [[5, 'steps.0.input']],
    );
    assert.match(issues[0].message, /Unknown name "env"/);
  });

  test('every root, status function and enclosing block variable compiles', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: ok',
        'inputs: { topic: string }',
        'steps:',
        '  - id: a',
        '    task: t',
        '    if: ${{ success() || failure() || cancelled() || always() }}',
        '    input: ${{ [inputs.topic, run.id, workflow.name] }}',
        '  - id: outer',
        '    each:',
        '      items: ${{ steps.a.output }}',
        '      do:',
        '        - id: body',
        '          loop:',
        '            until: loop.index > 3',
        '            steps:',
        '              - id: deep',
        '                task: t',
        '                input: ${{ [item, index, loop.index, length(inputs.topic)] }}',
      ),
      { registry },
    );
    assert.equal(definition.steps.length, 2);
  });

  test('did-you-mean for input names and step ids in expressions', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: e',
            'inputs:',
            '  topic: string',
            'steps:',
            '  - id: fetch',
            '    task: t',
            '    input: "About ${{ inputs.topc }}"',
            '  - id: use',
            '    task: t',
            '    input: ${{ steps.fetsh.output }}',
            '  - id: other',
            '    task: t',
            "    input: ${{ inputs['nothing'] }}",
          ),
        ),
      ),
      [
        '7:12 steps[0].input: unknown input "topc"; did you mean "topic"?',
        '10:12 steps[1].input: unknown step "fetsh" in steps.fetsh; did you mean "fetch"?',
        '13:12 steps[2].input: unknown input "nothing" (declared inputs: topic)',
      ],
    );
  });

  test('text outside ${{ }} that mentions inputs.x is not checked', () => {
    const definition = loadWorkflowText(
      yaml('name: e', 'steps:', '  - id: a', '    task: t', '    input: "set inputs.anything in the form"'),
      { registry },
    );
    assert.equal(definition.steps.length, 1);
  });

  test('expression fields of a kind config are compiled as bare expressions', () => {
    const [issue] = issuesOf(
      yaml(
        'name: e',
        'steps:',
        '  - id: l',
        '    loop:',
        '      until: steps.missing.output',
        '      steps: [{ id: a, task: t }]',
      ),
    );
    assert.equal(issue.message, 'unknown step "missing" in steps.missing');
    assert.deepEqual([issue.line, issue.column], [5, 14]);
  });
});

describe('step references and implicit needs', () => {
  test('a reference to a sibling adds it to needs, after the explicit ones', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: n',
        'steps:',
        '  - { id: a, task: t }',
        '  - { id: b, task: t }',
        '  - id: c',
        '    needs: b',
        '    task: t',
        '    input: { x: "${{ steps.a.output }}", y: "${{ steps.b.output }}" }',
      ),
      { registry },
    );
    const c = definition.steps[2];
    assert.deepEqual(c.explicitNeeds, ['b']);
    assert.deepEqual(c.needs, ['b', 'a']);
  });

  test('a reference from a nested step to an outer step makes the enclosing block step depend on it', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: n',
        'steps:',
        '  - { id: source, task: t }',
        '  - id: outer',
        '    each:',
        '      items: [1, 2]',
        '      do:',
        '        - { id: first, task: t }',
        '        - id: inner',
        '          loop:',
        '            steps:',
        '              - id: deep',
        '                task: t',
        '                input: ${{ [steps.source.output, steps.first.output] }}',
      ),
      { registry },
    );
    assert.deepEqual(needsOf(definition.steps), {
      source: [],
      outer: ['source'],
      first: [],
      inner: ['first'],
      deep: [],
    });
  });

  test('a block step config may read the steps of its own blocks without depending on them', () => {
    const definition = loadWorkflowText(
      yaml(
        'name: n',
        'steps:',
        '  - id: l',
        '    loop:',
        '      until: ${{ steps.check.output.done }}',
        '      output: ${{ steps.check.output }}',
        '      steps: [{ id: check, task: t }]',
      ),
      { registry },
    );
    assert.deepEqual(definition.steps[0].needs, []);
  });

  test('the workflow output may read top-level steps and adds no needs', () => {
    const definition = loadWorkflowText(
      yaml('name: n', 'steps:', '  - { id: a, task: t }', 'output: { result: "${{ steps.a.output }}" }'),
      { registry },
    );
    assert.deepEqual(definition.steps[0].needs, []);
  });

  test('visibility errors: nested from outside, own output, enclosing step, another block', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: n',
            'steps:',
            '  - id: m',
            '    each:',
            '      items: []',
            '      do:',
            '        - id: inner',
            '          task: t',
            '          input: ${{ steps.m.output }}',
            '      else:',
            '        - id: other',
            '          task: t',
            '          input: ${{ steps.inner.output }}',
            '  - id: after',
            '    task: t',
            '    input: ${{ steps.inner.output }}',
            '  - id: me',
            '    task: t',
            '    if: ${{ steps.me.output }}',
            'output: ${{ steps.inner.output }}',
          ),
        ),
      ),
      [
        '9:18 steps[0].each.do[0].input: step "inner" is inside "m" and cannot read its output, which exists only once "m" has finished',
        '13:18 steps[0].each.else[0].input: step "inner" is inside the "do" block of step "m", which is not visible from here',
        '16:12 steps[1].input: step "inner" is inside "m"; refer to steps.m.output',
        '19:9 steps[2].if: step "me" refers to its own output',
        '20:9 output: step "inner" is inside "m"; refer to steps.m.output',
      ],
    );
  });
});

describe('needs', () => {
  test('unknown ids, itself and steps of another block', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: n',
            'steps:',
            '  - id: fetch',
            '    task: t',
            '  - id: self',
            '    task: t',
            '    needs: [self, fecth]',
            '  - id: group',
            '    loop:',
            '      steps:',
            '        - id: inner',
            '          task: t',
            '          needs: fetch',
            '  - id: late',
            '    task: t',
            '    needs: inner',
          ),
        ),
      ),
      [
        '7:13 steps[1].needs[0]: step "self" cannot need itself',
        '7:19 steps[1].needs[1]: unknown step "fecth" in needs; did you mean "fetch"?',
        '13:18 steps[2].loop.steps[0].needs: step "fetch" is in the top level of the workflow, not in the "body" block of step "group"; needs may only name steps of the same block',
        '16:12 steps[3].needs: step "inner" is in the "body" block of step "group", not in the top level of the workflow; needs may only name steps of the same block',
      ],
    );
  });

  test('cycles are reported once with their path, including implicit needs and nested blocks', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: c',
            'steps:',
            '  - id: a',
            '    task: t',
            '    needs: [c]',
            '  - id: b',
            '    task: t',
            '    needs: [a]',
            '  - id: c',
            '    task: t',
            '    input: ${{ steps.b.output }}',
            '  - id: group',
            '    loop:',
            '      steps:',
            '        - { id: x, task: t, needs: y }',
            '        - { id: y, task: t, needs: x }',
          ),
        ),
      ),
      [
        '5:13 steps[0].needs[0]: cycle: a → c → b → a',
        '15:36 steps[3].loop.steps[0].needs: cycle: x → y → x',
      ],
    );
  });
});
