import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseJson, Workspace } from './helpers.ts';

const ws = new Workspace();
let completedId = '';
let waitingId = '';

before(async () => {
  ws.write(
    'quick.yaml',
    'name: quick\nversion: 2.0.0\nsteps:\n  - id: one\n    set: 1\n  - id: two\n    set: ${{ steps.one.output + 1 }}\noutput: ${{ steps.two.output }}\n',
  );
  ws.write(
    'slow.yaml',
    'name: slow\nversion: 1.0.0\nsteps:\n  - id: ask\n    approval: { message: "Proceed with the slow thing?" }\n',
  );
  completedId = (parseJson((await ws.run(['--json', 'run', 'quick.yaml'])).stdout) as { runId: string })
    .runId;
  waitingId = (await ws.run(['run', 'slow.yaml', '--no-wait'])).stdout.trim();
});
after(() => ws.cleanup());

describe('inspecting runs', () => {
  test('runs list shows both runs in a table', async () => {
    const result = await ws.run(['runs', 'list']);
    assert.equal(result.code, 0, result.stderr);
    const [header, ...rows] = result.stdout.trim().split('\n');
    assert.match(header, /^ID\s+WORKFLOW\s+STATUS\s+CREATED\s+DURATION$/);
    assert.ok(rows.some((row) => row.startsWith(completedId) && /quick@2\.0\.0\s+completed/.test(row)));
    assert.ok(rows.some((row) => row.startsWith(waitingId) && /slow@1\.0\.0\s+waiting/.test(row)));
  });

  test('runs list filters by status and workflow, and --json parses', async () => {
    const waiting = parseJson((await ws.run(['--json', 'runs', 'list', '--status', 'waiting'])).stdout) as {
      id: string;
    }[];
    assert.deepEqual(
      waiting.map((run) => run.id),
      [waitingId],
    );
    const quick = parseJson((await ws.run(['--json', 'runs', 'list', '--workflow', 'quick'])).stdout) as {
      id: string;
    }[];
    assert.deepEqual(
      quick.map((run) => run.id),
      [completedId],
    );
    const bad = await ws.run(['runs', 'list', '--status', 'done']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown status "done"/);
  });

  test('runs show prints the header, output and steps', async () => {
    const result = await ws.run(['runs', 'show', completedId]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^Run ${completedId}$`, 'm'));
    assert.match(result.stdout, /^workflow\s+quick@2\.0\.0/m);
    assert.match(result.stdout, /^status\s+completed$/m);
    assert.match(result.stdout, /^output\s+2$/m);
    assert.match(result.stdout, /^\s+PATH\s+STATUS\s+ATTEMPT\s+DURATION/m);
    assert.match(result.stdout, /^\s+one\s+completed\s+1/m);
    assert.match(result.stdout, /^\s+two\s+completed\s+1/m);
  });

  test('runs show lists pending approvals with the command to decide', async () => {
    const result = await ws.run(['runs', 'show', waitingId, '--history']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Pending approvals\n\s+ask: Proceed with the slow thing\?/);
    assert.match(result.stdout, new RegExp(`baton --store \\S+ approve ${waitingId} --step ask`));
    assert.match(result.stdout, /^\s+1\s+\S+\s+RunStarted\s+slow@1\.0\.0/m);
    assert.match(result.stdout, /^\s+2\s+\S+\s+ApprovalRequested\s+ask\s+Proceed/m);
  });

  test('runs show --json has the run, steps, approvals and history', async () => {
    const result = await ws.run(['--json', 'runs', 'show', waitingId, '--history']);
    const shown = parseJson(result.stdout) as {
      run: { id: string; status: string };
      steps: { path: string; status: string }[];
      pendingApprovals: { path: string }[];
      history: { seq: number; type: string }[];
    };
    assert.equal(shown.run.id, waitingId);
    assert.deepEqual(
      shown.steps.map((s) => [s.path, s.status]),
      [['ask', 'waiting']],
    );
    assert.deepEqual(
      shown.pendingApprovals.map((s) => s.path),
      ['ask'],
    );
    assert.deepEqual(
      shown.history.map((e) => e.type),
      ['RunStarted', 'ApprovalRequested'],
    );
  });

  test('runs show of an unknown run exits 2', async () => {
    const result = await ws.run(['runs', 'show', 'missing']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), 'error: no run with id missing [RUN_NOT_FOUND]');
  });

  test('approvals and definitions list what the store holds', async () => {
    const approvals = parseJson((await ws.run(['--json', 'approvals'])).stdout) as {
      runId: string;
      step: string;
    }[];
    assert.deepEqual(
      approvals.map((a) => [a.runId, a.step]),
      [[waitingId, 'ask']],
    );
    const definitions = await ws.run(['definitions']);
    assert.equal(definitions.code, 0, definitions.stderr);
    assert.match(definitions.stdout, /^NAME\s+VERSION\s+HASH\s+REGISTERED$/m);
    assert.match(definitions.stdout, /^quick\s+2\.0\.0\s+[0-9a-f]{12}\s+\d{4}-\d\d-\d\d/m);
    assert.match(definitions.stdout, /^slow\s+1\.0\.0/m);
    const json = parseJson((await ws.run(['--json', 'definitions'])).stdout) as { name: string }[];
    assert.deepEqual(json.map((d) => d.name).sort(), ['quick', 'slow']);
  });
});
