// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/** The `secrets:` section and `secrets.NAME` references as the loader checks them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BatonError } from '../../src/errors.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { type Issue, loadWorkflowText } from '../../src/language/index.ts';

const registry = createBuiltinRegistry();

function load(lines: string[]) {
  return loadWorkflowText(lines.join('\n'), { registry, file: 'flow.yaml' });
}

function issues(lines: string[]): string[] {
  try {
    load(lines);
  } catch (error) {
    const found = (error as BatonError).details.issues as Issue[];
    return found.map((issue) => `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`);
  }
  assert.fail('expected the workflow to be invalid');
}

describe('secrets: section', () => {
  test('a list of names or a map of name to description declares what secrets.NAME may read', () => {
    const listed = load([
      'name: listed',
      'secrets: [API_TOKEN, other-key]',
      'steps:',
      '  - id: call',
      '    http:',
      '      url: "https://api.example.com/x?key=${{ secrets[\'other-key\'] }}"',
      '      headers: { Authorization: "Bearer ${{ secrets.API_TOKEN }}" }',
    ]);
    assert.deepEqual(listed.sections.secrets, ['API_TOKEN', 'other-key']);
    const mapped = load([
      'name: mapped',
      'secrets:',
      '  API_TOKEN: Token of the prices API',
      '  SPARE:',
      'steps:',
      '  - id: call',
      '    http: { url: "https://api.example.com", headers: { X-Key: "${{ secrets.API_TOKEN }}" } }',
    ]);
    assert.deepEqual(mapped.sections.secrets, { API_TOKEN: 'Token of the prices API', SPARE: null });
  });

  test('an undeclared secret is an error at its column, with did-you-mean', () => {
    assert.deepEqual(
      issues([
        'name: typo',
        'secrets: [API_TOKEN]',
        'steps:',
        '  - id: call',
        '    http:',
        '      url: https://api.example.com',
        '      headers: { Authorization: "Bearer ${{ secrets.API_TOKN }}" }',
      ]),
      ['flow.yaml:7:45: unknown secret "API_TOKN"; did you mean "API_TOKEN"?'],
    );
  });

  test('reading a secret without a secrets: section says how to declare one', () => {
    const [issue] = issues([
      'name: undeclared',
      'steps:',
      '  - id: call',
      '    http: { url: "https://api.example.com/${{ secrets.TOKEN }}" }',
    ]);
    assert.match(
      issue,
      /^flow\.yaml:4:\d+: unknown secret "TOKEN" \(the workflow declares no secrets; list them/,
    );
  });

  test('secrets in agent tools and MCP servers of the sections are checked too', () => {
    const found = issues([
      'name: tools',
      'secrets: [GITHUB_TOKEN]',
      'tools:',
      '  issues:',
      '    http: { url: https://api.github.com/issues, headers: { Authorization: "token ${{ secrets.GITHUB_TOKNE }}" } }',
      'agents:',
      '  helper:',
      '    model: mock:echo',
      '    mcp:',
      '      - { name: docs, url: "https://mcp.example.com/", headers: { X-Key: "${{ secrets.DOCS_KEY }}" } }',
      'steps:',
      '  - { id: ask, agent: helper, prompt: hi, tools: [issues] }',
    ]);
    assert.equal(found.length, 2);
    assert.match(found[0], /^flow\.yaml:5:\d+: unknown secret "GITHUB_TOKNE"; did you mean "GITHUB_TOKEN"\?/);
    assert.match(
      found[1],
      /^flow\.yaml:10:\d+: unknown secret "DOCS_KEY" \(declared secrets: GITHUB_TOKEN\)/,
    );
  });

  test('malformed sections are reported with positions', () => {
    const found = issues([
      'name: bad',
      'secrets: [API_TOKEN, "not a name", API_TOKEN]',
      'steps: [{ id: a, set: 1 }]',
    ]);
    assert.equal(found.length, 2);
    assert.match(found[0], /^flow\.yaml:2:22: a secret name must start with a letter/);
    assert.match(found[1], /^flow\.yaml:2:36: secret "API_TOKEN" is declared twice/);
  });
});
