import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { formatIssues, loadWorkflowText } from '../../src/language/index.ts';
import { issuesOf, registry, summarize, yaml } from './fixtures.ts';

describe('plural, positioned errors', () => {
  test('a file with five mistakes reports all five, in file order, formatted one per line', () => {
    const text = yaml(
      'name: five', //                      1
      'tiemout: 5m', //                     2  misspelt top-level key
      'steps:', //                          3
      '  - id: fetch', //                   4
      '    htpp: { url: "https://x" }', //  5  misspelt kind key
      '  - id: save', //                    6
      '    task: store', //                 7
      '    needs: [fetc]', //               8  misspelt step id in needs
      '    retry: { attempts: 0 }', //      9  out of range
      '    timout: 10s', //                 10 misspelt step key
    );
    let thrown: unknown;
    try {
      loadWorkflowText(text, { file: 'workflow.yaml', registry });
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof BatonError);
    assert.equal(thrown.code, 'WORKFLOW_INVALID');
    assert.equal(
      thrown.message,
      [
        'workflow.yaml:2:1: tiemout: unknown key "tiemout"; did you mean "timeout"?',
        'workflow.yaml:5:5: steps[0].htpp: unknown key "htpp"; did you mean "http"?',
        'workflow.yaml:8:13: steps[1].needs[0]: unknown step "fetc" in needs; did you mean "fetch"?',
        'workflow.yaml:9:24: steps[1].retry.attempts: attempts must be at least 1 (1 means no retry)',
        'workflow.yaml:10:5: steps[1].timout: unknown key "timout"; did you mean "timeout"?',
      ].join('\n'),
    );
    const issues = thrown.details.issues as { suggestion?: string }[];
    assert.equal(issues.length, 5);
    assert.deepEqual(
      issues.map((issue) => issue.suggestion),
      ['timeout', 'http', 'fetch', undefined, 'timeout'],
    );
    assert.equal(formatIssues(thrown.details.issues as never), thrown.message);
  });

  test('unknown keys in input specs, retry and strict kind configs', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: keys',
            'inputs:',
            '  topic: { type: string, descripton: x }',
            'defaults:',
            '  retry: { atempts: 2 }',
            '  timeot: 1s',
            'steps:',
            '  - id: a',
            '    http: { url: "https://x", methd: GET }',
          ),
        ),
      ),
      [
        '3:26 inputs.topic.descripton: unknown key "descripton"; did you mean "description"?',
        '5:12 defaults.retry.atempts: unknown key "atempts"; did you mean "attempts"?',
        '6:3 defaults.timeot: unknown key "timeot"; did you mean "timeout"?',
        '9:31 steps[0].http.methd: unknown key "methd"; did you mean "method"?',
      ],
    );
  });

  test('a step without a kind lists the kinds; two kind keys are one error', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: kinds',
            'steps:',
            '  - id: none',
            '    name: nothing to do',
            '  - id: both',
            '    task: t',
            '    http: { url: "https://x" }',
          ),
        ),
      ),
      [
        '3:5 steps[0]: step "none" has no kind: add exactly one of "task", "http", "loop", "each"',
        '7:5 steps[1].http: a step has exactly one kind key, but this one has "task", "http"; split it into separate steps',
      ],
    );
  });

  test('an unknown key on a step names what that kind accepts when nothing is close', () => {
    const [issue] = issuesOf(yaml('name: k', 'steps:', '  - id: a', '    task: t', '    zzzzzz: 1'));
    assert.equal(
      issue.message,
      'unknown key "zzzzzz" (a "task" step accepts "id", "name", "description", "needs", "if", "retry", "timeout", "continueOnError", "queue", "priority", "task", "input")',
    );
    assert.deepEqual([issue.line, issue.column], [5, 5]);
  });

  test('duplicate step ids say where the first one is, across nested blocks', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: dup',
            'steps:',
            '  - id: x',
            '    task: t',
            '  - id: group',
            '    loop:',
            '      steps:',
            '        - id: x',
            '          task: t',
          ),
        ),
      ),
      ['8:15 steps[1].loop.steps[0].id: duplicate step id "x" (first defined at line 3)'],
    );
  });

  test('types, patterns and ranges of fields', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: "bad name"',
            'concurrency: 0',
            'timeout: soon',
            'steps:',
            '  - id: 3a',
            '    task: t',
            '    timeout: -5',
            '    continueOnError: "yes"',
            '    retry: { attempts: 101, backoff: expo, delay: [1] }',
          ),
        ),
      ),
      [
        '1:7 name: a workflow name must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
        '2:14 concurrency: concurrency must be at least 1',
        '3:10 timeout: "soon" is not a duration; expected e.g. 500ms, 30s, 5m, 2h, 1d or a number of milliseconds',
        '5:9 steps[0].id: a step id must start with a letter or "_" and contain only letters, digits, "_" and "-"',
        '7:14 steps[0].timeout: a duration must not be negative, got -5',
        '8:22 steps[0].continueOnError: expected true or false, got "yes"',
        '9:24 steps[0].retry.attempts: attempts must be at most 100',
        '9:38 steps[0].retry.backoff: expected one of "exponential", "linear", "fixed", got "expo"; did you mean "exponential"?',
        '9:51 steps[0].retry.delay: expected a duration such as "500ms", "30s", "5m", "2h" or a number of milliseconds',
      ],
    );
  });

  test('missing required keys point at the mapping that lacks them', () => {
    assert.deepEqual(summarize(issuesOf(yaml('description: no name', 'steps:', '  - task: t'))), [
      '1:1 name: missing required key "name"',
      '3:5 steps[0].id: missing required key "id"',
    ]);
    assert.deepEqual(summarize(issuesOf(yaml('name: nothing'))), ['1:1 steps: missing required key "steps"']);
    assert.deepEqual(summarize(issuesOf(yaml('name: empty', 'steps: []'))), [
      '2:8 steps: a workflow needs at least one step',
    ]);
  });
});

describe('malformed files are WORKFLOW_INVALID, never another error', () => {
  const cases: [string, string, string[]][] = [
    [
      'empty file',
      '',
      ['1:1 : the workflow is empty; expected a mapping with at least `name:` and `steps:`'],
    ],
    [
      'only a comment',
      '# nothing\n',
      ['1:1 : the workflow is empty; expected a mapping with at least `name:` and `steps:`'],
    ],
    [
      'a list at the top',
      '- a\n- b\n',
      ['1:1 : expected a mapping at the top of the workflow (name:, steps: …), got a list'],
    ],
    [
      'a scalar at the top',
      'hello\n',
      ['1:1 : expected a mapping at the top of the workflow (name:, steps: …), got a string'],
    ],
    ['steps as a mapping', 'name: m\nsteps: { a: 1 }\n', ['2:8 steps: expected a list of steps']],
    [
      'a step that is a scalar',
      'name: m\nsteps:\n  - just text\n',
      ['3:5 steps[0]: expected a step: a mapping with an id and one kind key such as task: or http:'],
    ],
    [
      'inputs as a list',
      'name: m\ninputs: [a]\nsteps: [{ id: a, task: t }]\n',
      ['2:9 inputs: expected a mapping of input names to input specifications'],
    ],
    [
      'a kind config of the wrong type',
      'name: m\nsteps: [{ id: a, http: 5 }]\n',
      ['2:24 steps[0].http: expected a mapping, got 5'],
    ],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => assert.deepEqual(summarize(issuesOf(text)), expected));
  }

  test('YAML syntax errors are reported with their positions', () => {
    const issues = issuesOf(
      yaml('name: broken', 'steps:', '  - id: a', '    task: "unterminated', '  - id: b'),
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0].message, 'YAML syntax error: Missing closing "quote');
    assert.equal(issues[0].file, 'workflow.yaml');
    assert.deepEqual([issues[0].line, issues[0].column], [6, 1]);
  });

  test('a duplicate YAML key is a syntax error at the second key', () => {
    const issues = issuesOf(yaml('name: a', 'steps: [{ id: a, task: t }]', 'name: b'));
    assert.deepEqual(summarize(issues), ['3:1 : YAML syntax error: Map keys must be unique']);
  });

  test('JSON syntax errors have positions too', () => {
    const issues = issuesOf(
      '{\n  "name": "j",\n  "steps": [\n    { "id": "a" "task": "t" }\n  ]\n}\n',
      'flow.json',
    );
    assert.ok(issues.length >= 1);
    assert.equal(issues[0].file, 'flow.json');
    assert.equal(issues[0].line, 4);
    assert.match(issues[0].message, /^YAML syntax error: /);
  });

  test('semantic errors in JSON files have line and column', () => {
    const issues = issuesOf(
      '{\n  "name": "j",\n  "steps": [\n    { "id": "a", "tsak": "t" }\n  ]\n}\n',
      'flow.json',
    );
    assert.deepEqual(summarize(issues), ['4:18 steps[0].tsak: unknown key "tsak"; did you mean "task"?']);
  });
});

describe('hostile or odd input', () => {
  test('names that would reach the prototype are rejected as step ids and input names', () => {
    assert.deepEqual(
      summarize(
        issuesOf(
          yaml(
            'name: proto',
            'inputs: { constructor: string }',
            'steps:',
            '  - { id: __proto__, task: t }',
            '  - { id: a, task: t, toString: 1 }',
          ),
        ),
      ),
      [
        '2:11 inputs.constructor: invalid input name "constructor": use letters, digits, "_" and "-", starting with a letter or "_" (and not a reserved name)',
        '4:11 steps[0].id: this name is reserved; choose another step id',
        '5:23 steps[1].toString: unknown key "toString" (a "task" step accepts "id", "name", "description", "needs", "if", "retry", "timeout", "continueOnError", "queue", "priority", "task", "input")',
      ],
    );
  });

  test('blocks nested absurdly deep are an issue, not a stack overflow', () => {
    let step = '{ id: leaf, task: t }';
    for (let depth = 0; depth < 40; depth++) step = `{ id: s${depth}, loop: { steps: [${step}] } }`;
    const issues = issuesOf(`name: deep\nsteps: [${step}]\n`);
    assert.deepEqual(
      issues.map((issue) => issue.message),
      ['blocks are nested more than 32 levels deep'],
    );
  });
});
