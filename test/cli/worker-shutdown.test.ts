/**
 * Graceful shutdown of a real `baton worker` process: on SIGTERM it stops claiming, lets a
 * running step finish within `--grace`, and past the grace aborts the step and releases its
 * lease, so another worker takes it at once instead of after the lease expires.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { Workspace } from './helpers.ts';

const ws = new Workspace();
after(() => ws.cleanup());

ws.write(
  'nap.yaml',
  `name: nap
inputs:
  ms: { type: integer }
steps:
  - id: nap
    task: nap
    input: \${{ inputs.ms }}
output: \${{ steps.nap.output }}
`,
);
// NAP_MS, when set, overrides the input: the worker that takes a released step over finishes fast.
ws.write(
  'handlers.mjs',
  `export function register(engine) {
  engine.registerTask('nap', (input, ctx) => new Promise((resolve, reject) => {
    process.stdout.write('nap started ' + ctx.runId + '\\n');
    const ms = Number(process.env.NAP_MS ?? input);
    const timer = setTimeout(() => resolve('slept ' + ms), ms);
    ctx.signal.addEventListener('abort', () => { clearTimeout(timer); reject(ctx.signal.reason); });
  }));
}
`,
);

async function startRun(ms: number): Promise<string> {
  const started = await ws.run(['run', 'nap.yaml', '-i', `ms=${ms}`, '--no-wait']);
  assert.equal(started.code, 0, started.stderr);
  return started.stdout.trim();
}

async function task(runId: string) {
  const store = new SqliteStore({ path: join(ws.dir, 'baton.db') });
  try {
    return await store.getTask(`${runId}|step|nap|1`);
  } finally {
    await store.close();
  }
}

async function run(runId: string) {
  const store = new SqliteStore({ path: join(ws.dir, 'baton.db') });
  try {
    return { row: await store.getRun(runId), events: await store.loadEvents(runId) };
  } finally {
    await store.close();
  }
}

describe('baton worker shutdown', () => {
  test('SIGTERM: no new claims, and a running step finishes within the grace period', async () => {
    const first = await startRun(1_500);
    const worker = ws.start(['worker', '--require', './handlers.mjs', '--grace', '10s', '--poll', '50ms']);
    await worker.waitFor(new RegExp(`nap started ${first}`));
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    await worker.waitFor(/SIGTERM: stopping; 1 running step\(s\) get 10000ms to finish/);
    const second = await startRun(10);
    const result = await worker.exit;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /worker stopped/);
    assert.ok(Date.now() - signalledAt < 8_000, 'it did not wait for the whole grace period');
    assert.equal((await run(first)).row?.status, 'completed', 'the running step finished and was recorded');
    assert.equal((await run(first)).row?.output, 'slept 1500');
    assert.doesNotMatch(
      result.stdout,
      new RegExp(`nap started ${second}`),
      'nothing was claimed after SIGTERM',
    );
    assert.equal((await task(second))?.owner, undefined, 'the new run waits, unleased, for another worker');
  });

  test('past the grace period the step is aborted and released, and another worker takes it at once', async () => {
    const runId = await startRun(60_000);
    const worker = ws.start(['worker', '--require', './handlers.mjs', '--grace', '300ms', '--lease', '1m']);
    await worker.waitFor(new RegExp(`nap started ${runId}`));
    assert.match((await task(runId))?.owner ?? '', /./, 'the step is leased');
    worker.child.kill('SIGTERM');
    const result = await worker.exit;
    assert.equal(result.code, 0, result.stderr);
    const released = await task(runId);
    assert.ok(released, 'the step task is still there');
    assert.equal(released.owner, undefined, 'its lease was released, not left to expire in a minute');

    const next = ws.start(['worker', '--require', './handlers.mjs', '--poll', '50ms'], { NAP_MS: '20' });
    await next.waitFor(new RegExp(`${runId} run completed`), 10_000);
    next.child.kill('SIGTERM');
    assert.equal((await next.exit).code, 0);
    const { row, events } = await run(runId);
    assert.equal(row?.output, 'slept 20');
    assert.deepEqual(
      events
        .filter((e) => e.type.startsWith('Step'))
        .map((e) => `${e.type} ${'attempt' in e ? e.attempt : ''}`),
      ['StepScheduled 1', 'StepCompleted 1'],
      'releasing is not a failed attempt',
    );
  });
});
