import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseJson, Workspace } from './helpers.ts';

const ws = new Workspace();
after(() => ws.cleanup());

const GATE = `name: gate
version: 1.0.0
inputs:
  item: { type: string }
steps:
  - id: draft
    set: "draft of \${{ inputs.item }}"
  - id: review
    needs: [draft]
    approval: { message: "Publish \${{ steps.draft.output }}?" }
  - id: publish
    needs: [review]
    if: \${{ steps.review.output.approved }}
    set: published
output:
  approved: \${{ steps.review.output.approved }}
  comment: \${{ steps.review.output.comment }}
  by: \${{ steps.review.output.by }}
  payload: \${{ steps.review.output.payload }}
`;

const STRICT = `name: strict
version: 1.0.0
steps:
  - id: review
    approval: { message: "Ship it?", onReject: fail }
`;

const TWO = `name: two
version: 1.0.0
steps:
  - id: legal
    approval: { message: "Legal ok?" }
  - id: finance
    approval: { message: "Finance ok?" }
`;

const HINT = /waiting for approval on "review": baton --store \S+ approve (\w+) --step review --comment/;

describe('approvals from another process', () => {
  test('run prints the approve command; approving elsewhere lets it finish with exit 0', async () => {
    ws.write('gate.yaml', GATE);
    const running = ws.start(['run', 'gate.yaml', '-i', 'item=post']);
    const [, runId] = await running.waitFor(HINT);
    assert.match(running.stderr(), /or reject it with: baton --store \S+ reject \w+ --step review/);

    const listed = await ws.run(['approvals']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${runId}\\s+review\\s+Publish draft of post\\?`));

    const decided = await ws.run([
      'approve',
      runId,
      '--comment',
      'ship it',
      '--by',
      'ada',
      '--payload',
      '{"edited":true}',
    ]);
    assert.equal(decided.code, 0, decided.stderr);
    assert.match(decided.stdout, new RegExp(`approved "review" of run ${runId} by ada: ship it`));

    const result = await running.exit;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parseJson(result.stdout), {
      approved: true,
      comment: 'ship it',
      by: 'ada',
      payload: { edited: true },
    });
  });

  test('rejecting with onReject: fail makes the waiting run exit 1 with APPROVAL_REJECTED', async () => {
    ws.write('strict.yaml', STRICT);
    const running = ws.start(['run', 'strict.yaml']);
    const [, runId] = await running.waitFor(HINT);
    const decided = await ws.run([
      'reject',
      runId,
      '--step',
      'review',
      '--comment',
      'not yet',
      '--by',
      'bob',
    ]);
    assert.equal(decided.code, 0, decided.stderr);
    assert.match(decided.stdout, /rejected "review"/);
    const result = await running.exit;
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /failed step: review .*APPROVAL_REJECTED: "review" was rejected by bob: not yet/,
    );
  });

  test('a rejection that continues completes the run with approved: false', async () => {
    const started = await ws.run(['run', 'gate.yaml', '-i', 'item=x', '--no-wait']);
    assert.equal(started.code, 0, started.stderr);
    const runId = started.stdout.trim();
    const decided = await ws.run(['--json', 'reject', runId, '--by', 'eve']);
    assert.equal(decided.code, 0, decided.stderr);
    assert.deepEqual(parseJson(decided.stdout), {
      runId,
      step: 'review',
      decision: 'rejected',
      by: 'eve',
      comment: null,
      status: 'completed',
    });
    const shown = parseJson((await ws.run(['--json', 'runs', 'show', runId])).stdout) as {
      run: { output: { approved: boolean } };
    };
    assert.equal(shown.run.output.approved, false);
  });

  test('deciding with nothing pending, or ambiguously, is one line and exit 2', async () => {
    ws.write('two.yaml', TWO);
    const runId = (await ws.run(['run', 'two.yaml', '--no-wait'])).stdout.trim();
    const ambiguous = await ws.run(['approve', runId]);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /several pending approvals; name one of: (legal, finance|finance, legal)/);
    assert.equal(ambiguous.stderr.trim().split('\n').length, 1);

    assert.equal((await ws.run(['approve', runId, '--step', 'legal'])).code, 0);
    const again = await ws.run(['approve', runId, '--step', 'legal']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no pending approval for step "legal"/);

    const bad = await ws.run(['approve', runId, '--step', 'finance', '--payload', '{oops']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--payload is not valid JSON/);
  });

  test('an approval inside a child run is announced and can be decided', async () => {
    ws.write(
      'child.yaml',
      'name: signoff\nversion: 1.0.0\nsteps:\n  - id: review\n    approval: { message: "Child ok?" }\noutput: ${{ steps.review.output.approved }}\n',
    );
    ws.write(
      'parent.yaml',
      'name: boss\nversion: 1.0.0\nsteps:\n  - id: ask\n    workflow: signoff\noutput: ${{ steps.ask.output }}\n',
    );
    const running = ws.start(['run', 'parent.yaml', '--with', 'child.yaml']);
    const [, childRunId] = await running.waitFor(
      /waiting for approval on "review": baton --store \S+ approve (\S+) --step review/,
    );
    assert.match(running.stderr(), new RegExp(`in child run ${childRunId}`));
    assert.equal((await ws.run(['approve', childRunId])).code, 0);
    const result = await running.exit;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseJson(result.stdout), true);
  });

  test('Ctrl-C stops the process, not the run, and says how to continue', async () => {
    const running = ws.start(['run', 'gate.yaml', '-i', 'item=later']);
    const [, runId] = await running.waitFor(HINT);
    running.child.kill('SIGINT');
    const result = await running.exit;
    assert.equal(result.code, 130);
    assert.match(result.stderr, new RegExp(`run ${runId} is durable and stays waiting`));
    assert.match(result.stderr, /continue it with: baton --store \S+ worker/);
    const shown = parseJson((await ws.run(['--json', 'runs', 'show', runId])).stdout) as {
      run: { status: string };
    };
    assert.equal(shown.run.status, 'waiting');
  });
});
