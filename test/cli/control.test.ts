import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseJson, Workspace } from './helpers.ts';

const ws = new Workspace();
after(() => ws.cleanup());

const HELD = `name: held
version: 1.0.0
steps:
  - id: gate
    approval: { message: "Go?" }
  - id: done
    needs: [gate]
    set: finished
output: \${{ steps.done.output }}
`;

async function status(runId: string): Promise<string> {
  const shown = await ws.run(['--json', 'runs', 'show', runId]);
  assert.equal(shown.code, 0, shown.stderr);
  return (parseJson(shown.stdout) as { run: { status: string } }).run.status;
}

describe('pause, resume, cancel and retry', () => {
  test('round trip on a run held in the store', async () => {
    ws.write('held.yaml', HELD);
    const started = await ws.run(['--json', 'run', 'held.yaml', '--no-wait']);
    assert.equal(started.code, 0, started.stderr);
    const { runId, status: initial } = parseJson(started.stdout) as { runId: string; status: string };
    assert.equal(initial, 'waiting');

    const paused = await ws.run(['pause', runId, '--reason', 'maintenance window', '--by', 'ops']);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, new RegExp(`paused run ${runId}; it is now paused`));
    assert.equal(await status(runId), 'paused');

    const twice = await ws.run(['pause', runId]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /already paused \[RUN_ALREADY_PAUSED\]/);

    assert.equal((await ws.run(['resume', runId])).code, 0);
    assert.equal(await status(runId), 'waiting');

    const cancelled = await ws.run(['--json', 'cancel', runId, '--reason', 'customer left']);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.deepEqual(parseJson(cancelled.stdout), { runId, action: 'cancel', status: 'cancelled' });
    const cancelAgain = await ws.run(['cancel', runId]);
    assert.equal(cancelAgain.code, 2);
    assert.match(cancelAgain.stderr, /cannot cancel run \w+: it is cancelled/);

    const retried = await ws.run(['retry', runId]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(await status(runId), 'waiting');

    assert.equal((await ws.run(['approve', runId])).code, 0);
    assert.equal(await status(runId), 'completed');
    const notRetryable = await ws.run(['retry', runId]);
    assert.equal(notRetryable.code, 2);
    assert.match(notRetryable.stderr, /only failed or cancelled runs can be retried/);

    const history = await ws.run(['runs', 'show', runId, '--history']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /RunPaused\s+by ops: maintenance window/);
    assert.match(history.stdout, /RunCancelRequested\s+by \S+: customer left/);
    assert.match(history.stdout, /RunRetried\s+gate/);
    assert.match(history.stdout, /RunCompleted\s+output "finished"/);
  });

  test('unknown runs exit 2', async () => {
    for (const verb of ['pause', 'resume', 'cancel', 'retry']) {
      const result = await ws.run([verb, 'no-such-run']);
      assert.equal(result.code, 2, `${verb}: ${result.stderr}`);
      assert.match(result.stderr, /no run with id no-such-run/);
    }
  });
});
