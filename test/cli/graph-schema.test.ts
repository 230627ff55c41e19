import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseJson, Workspace } from './helpers.ts';

const ws = new Workspace();
after(() => ws.cleanup());

const FLOW = `name: flow
version: 1.0.0
steps:
  - id: fetch
    set: [1, 2]
  - id: fan-out
    needs: [fetch]
    map:
      items: \${{ steps.fetch.output }}
      steps:
        - id: double
          set: \${{ item * 2 }}
        - id: label
          set: "n=\${{ steps.double.output }}"
  - id: route
    switch:
      cases:
        - name: many
          when: \${{ steps["fan-out"].output.length > 1 }}
          steps:
            - id: end
              set: many
      default:
        steps:
          - id: few
            set: few
`;

describe('baton graph', () => {
  test('prints a Mermaid flowchart with nodes, explicit and implicit edges and subgraphs', async () => {
    ws.write('flow.yaml', FLOW);
    const result = await ws.run(['graph', 'flow.yaml']);
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout;
    assert.match(text, /^flowchart TD$/m);
    assert.match(text, /^\s+n_fetch\["fetch<br\/>set"\]$/m);
    assert.match(text, /^\s+subgraph n_fan_out\["fan-out<br\/>map"\]$/m);
    assert.match(text, /^\s+n_fan_out__double\["double<br\/>set"\]$/m);
    assert.match(text, /^\s+subgraph n_route__case_0\["case many"\]$/m);
    assert.match(text, /^\s+subgraph n_route__default\["default"\]$/m);
    assert.match(text, /^\s+n_route__case_0__end\["end<br\/>set"\]$/m, 'a step named "end" gets a safe id');
    assert.match(text, /^\s+n_fetch --> n_fan_out$/m, 'explicit needs are solid edges');
    assert.match(text, /^\s+n_fan_out__double -\.-> n_fan_out__label$/m, 'implicit needs are dotted edges');
    assert.match(text, /^\s+n_fan_out -\.-> n_route$/m);
    const opened = text.match(/^\s*subgraph /gm)?.length ?? 0;
    const closed = text.match(/^\s*end$/gm)?.length ?? 0;
    assert.equal(opened, closed);
  });

  test('--output writes the file; an invalid workflow exits 2', async () => {
    const written = await ws.run(['graph', 'flow.yaml', '--output', 'flow.mmd']);
    assert.equal(written.code, 0, written.stderr);
    assert.match(readFileSync(join(ws.dir, 'flow.mmd'), 'utf8'), /^flowchart TD$/m);
    ws.write('bad.yaml', 'name: b\nversion: 1.0.0\nsteps:\n  - id: a\n    needs: [zz]\n    set: 1\n');
    const bad = await ws.run(['graph', 'bad.yaml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml:5:\d+: .*unknown step "zz"/);
  });
});

describe('baton schema', () => {
  test('prints the JSON Schema of workflow files', async () => {
    const result = await ws.run(['schema']);
    assert.equal(result.code, 0, result.stderr);
    const schema = parseJson(result.stdout) as { $schema: string; properties: Record<string, unknown> };
    assert.match(schema.$schema, /json-schema\.org/);
    assert.ok('steps' in schema.properties && 'inputs' in schema.properties);
  });

  test('--output writes a file editors can reference', async () => {
    const result = await ws.run(['schema', '-o', 'baton.schema.json']);
    assert.equal(result.code, 0, result.stderr);
    const schema = parseJson(readFileSync(join(ws.dir, 'baton.schema.json'), 'utf8')) as { $schema: string };
    assert.ok(schema.$schema);
  });
});
