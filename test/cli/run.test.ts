import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseJson, Workspace } from './helpers.ts';

const ws = new Workspace();
let server: Server;
let port = 0;
const seenKeys: string[] = [];

before(async () => {
  server = createServer((request, response) => {
    seenKeys.push(String(request.headers['idempotency-key'] ?? ''));
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ path: request.url, ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  ws.cleanup();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const KINDS = `name: kinds
version: 1.0.0
inputs:
  count: { type: integer }
  flag: { type: boolean, default: false }
  meta: { type: object, default: {} }
  label: { type: string, default: none }
steps:
  - id: numbers
    script: "return Array.from({ length: input.n }, (_, i) => i + 1)"
    input: { n: "\${{ inputs.count }}" }
  - id: squares
    map:
      items: \${{ steps.numbers.output }}
      steps:
        - id: square
          set: \${{ item * item }}
  - id: counter
    loop:
      maxIterations: 5
      until: \${{ steps.bump.output >= 3 }}
      steps:
        - id: bump
          set: \${{ loop.index + 1 }}
  - id: both
    parallel:
      - id: left
        set: L
      - id: right
        set: R
  - id: nap
    wait: 200ms
  - id: size
    needs: [nap]
    switch:
      cases:
        - when: \${{ inputs.count > 2 }}
          output: big
      default:
        output: small
output:
  squares: \${{ steps.squares.output }}
  counter: \${{ steps.counter.output }}
  both: \${{ steps.both.output }}
  size: \${{ steps.size.output }}
  flag: \${{ inputs.flag }}
  meta: \${{ inputs.meta }}
  label: \${{ inputs.label }}
`;

const FAILING = `name: failing
version: 1.0.0
steps:
  - id: prepare
    set: ready
  - id: boom
    needs: [prepare]
    fail: { message: "order is invalid", code: ORDER_INVALID }
`;

describe('baton run', () => {
  test('runs a workflow of built-in kinds to completion and prints the output as JSON (exit 0)', async () => {
    ws.write('kinds.yaml', KINDS);
    ws.write('inputs.json', JSON.stringify({ count: 1, label: 'from-file', meta: { a: 1 } }));
    const result = await ws.run([
      'run',
      'kinds.yaml',
      '--input',
      'count=3',
      '-i',
      'flag=true',
      '--input-file',
      'inputs.json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parseJson(result.stdout), {
      squares: [1, 4, 9],
      counter: 3,
      both: { left: 'L', right: 'R' },
      size: 'big',
      flag: true,
      meta: { a: 1 },
      label: 'from-file',
    });
    // Not a TTY: plain progress lines on stderr.
    assert.match(result.stderr, /^\d\d:\d\d:\d\d step numbers completed \(\d+(\.\d)? m?s\)$/m);
    assert.match(result.stderr, /^\d\d:\d\d:\d\d step nap waiting until/m);
    assert.match(result.stderr, /run r\w+ completed in/);
  });

  test('--json prints a machine-readable result', async () => {
    const result = await ws.run(['--json', 'run', 'kinds.yaml', '-i', 'count=1']);
    assert.equal(result.code, 0, result.stderr);
    const parsed = parseJson(result.stdout) as { runId: string; status: string; output: { size: string } };
    assert.equal(parsed.status, 'completed');
    assert.equal(parsed.output.size, 'small');
    assert.match(parsed.runId, /^\w+$/);
  });

  test('a failing workflow exits 1 with the error code, message and failed step', async () => {
    ws.write('failing.yaml', FAILING);
    const result = await ws.run(['run', 'failing.yaml']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /run \w+ failed .*ORDER_INVALID/);
    assert.match(result.stderr, /failed step: boom \(attempt 1\): ORDER_INVALID: order is invalid/);
    assert.match(result.stderr, /baton --store \S+ retry \w+/);
  });

  test('an input of the wrong type exits 2 with a clear message and no stack trace', async () => {
    const result = await ws.run(['run', 'kinds.yaml', '--input', 'count=three']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Invalid inputs for workflow "kinds"/);
    assert.match(result.stderr, /inputs\.count: must be an integer, got string "three"/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('a missing required input and an unknown one exit 2 naming both', async () => {
    const result = await ws.run(['run', 'kinds.yaml', '-i', 'cuont=3']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /missing required input "count" of type integer/);
    assert.match(result.stderr, /unknown input "cuont".*did you mean "count"/);
  });

  test('a malformed --input and an unreadable --input-file exit 2', async () => {
    const pair = await ws.run(['run', 'kinds.yaml', '--input', 'count']);
    assert.equal(pair.code, 2);
    assert.match(pair.stderr, /--input expects key=value, got "count"/);
    ws.write('broken.json', '{ nope');
    const file = await ws.run(['run', 'kinds.yaml', '--input-file', 'broken.json']);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /--input-file broken\.json is not valid JSON/);
  });

  test('an invalid workflow file exits 2 with file:line:col', async () => {
    ws.write('invalid.yaml', 'name: x\nversion: 1.0.0\nsteps:\n  - id: a\n    sett: 1\n');
    const result = await ws.run(['run', 'invalid.yaml']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid\.yaml:5:5: .*unknown key "sett"/);
  });

  test('http steps reach loopback only when allowed with --allow-host', async () => {
    ws.write(
      'http.yaml',
      `name: fetch\nversion: 1.0.0\nsteps:\n  - id: get\n    http: { url: "http://127.0.0.1:${port}/data" }\n    retry: { attempts: 1 }\noutput: \${{ steps.get.output.body }}\n`,
    );
    const allowed = await ws.run(['--allow-host', '127.0.0.1', 'run', 'http.yaml']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.deepEqual(parseJson(allowed.stdout), { path: '/data', ok: true });
    assert.ok(seenKeys.at(-1), 'the request carried an Idempotency-Key');

    const refused = await ws.run(['run', 'http.yaml']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /failed step: get/);
    assert.match(refused.stderr, /127\.0\.0\.1/);
  });

  test('an idempotency key starts one run; the second call follows it', async () => {
    const first = await ws.run([
      '--json',
      'run',
      'kinds.yaml',
      '-i',
      'count=2',
      '--idempotency-key',
      'order-1',
    ]);
    const second = await ws.run([
      '--json',
      'run',
      'kinds.yaml',
      '-i',
      'count=2',
      '--idempotency-key',
      'order-1',
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      (parseJson(first.stdout) as { runId: string }).runId,
      (parseJson(second.stdout) as { runId: string }).runId,
    );
    assert.match(second.stderr, /idempotency key matched run/);
  });

  test('--with registers the child workflows a run starts', async () => {
    ws.write(
      'child.yaml',
      'name: child-double\nversion: 1.0.0\ninputs:\n  n: number\nsteps:\n  - id: d\n    set: ${{ inputs.n * 2 }}\noutput: ${{ steps.d.output }}\n',
    );
    ws.write(
      'parent.yaml',
      'name: parent\nversion: 1.0.0\nsteps:\n  - id: call\n    workflow: child-double\n    input: { n: 21 }\noutput: ${{ steps.call.output }}\n',
    );
    const result = await ws.run(['run', 'parent.yaml', '--with', 'child.yaml']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseJson(result.stdout), 42);
    assert.match(result.stderr, /step call started child run \S+ \(child-double\)/);
  });

  test('an unreachable store exits 3 with one line', async () => {
    ws.write('not-a-dir', 'x');
    const result = await ws.run([
      '--store',
      `sqlite:${ws.dir}/not-a-dir/baton.db`,
      'run',
      'kinds.yaml',
      '-i',
      'count=1',
    ]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /cannot open the store .*\[STORE_UNAVAILABLE\]/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
