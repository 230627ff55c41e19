import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseJson, Workspace } from './helpers.ts';

const ws = new Workspace();
after(() => ws.cleanup());

const GOOD = `name: greet
version: 1.2.0
inputs:
  name: { type: string }
steps:
  - id: hello
    set: "Hello \${{ inputs.name }}"
`;

const BAD = `name: broken
version: 1.0.0
steps:
  - id: first
    set: 1
  - id: second
    needs: [frist]
    set: 2
  - id: third
    http: { url: "https://example.com", methd: GET }
`;

describe('baton validate', () => {
  test('prints ok with name and version for a valid file and exits 0', async () => {
    ws.write('good.yaml', GOOD);
    const result = await ws.run(['validate', 'good.yaml']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ok good\.yaml \(greet@1\.2\.0\)$/m);
  });

  test('lists every problem as file:line:col with suggestions and exits 2', async () => {
    ws.write('bad.yaml', BAD);
    const result = await ws.run(['validate', 'good.yaml', 'bad.yaml']);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /^ok good\.yaml/m, 'valid files are still reported');
    assert.match(result.stdout, /^bad\.yaml:7:13: .*unknown step "frist".*did you mean "first"/m);
    assert.match(result.stdout, /^bad\.yaml:10:\d+: .*unknown key "methd".*did you mean "method"/m);
    assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /, 'no stack trace');
  });

  test('a missing file is reported in one line, exit 2', async () => {
    const result = await ws.run(['validate', 'nope.yaml']);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /Workflow file not found: nope\.yaml/);
  });

  test('--json gives one report per file', async () => {
    const result = await ws.run(['--json', 'validate', 'good.yaml', 'bad.yaml']);
    assert.equal(result.code, 2);
    const reports = parseJson(result.stdout) as {
      file: string;
      ok: boolean;
      issues?: { line: number; message: string }[];
    }[];
    assert.deepEqual(
      reports.map((r) => [r.file, r.ok]),
      [
        ['good.yaml', true],
        ['bad.yaml', false],
      ],
    );
    assert.ok(reports[1].issues?.some((issue) => issue.line === 7 && /frist/.test(issue.message)));
  });

  test('unknown options exit 2 with commander’s message', async () => {
    const result = await ws.run(['validate', '--frobnicate', 'good.yaml']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown option '--frobnicate'/);
  });
});
