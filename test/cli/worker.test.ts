import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseJson, Workspace } from './helpers.ts';

const ws = new Workspace();
after(() => ws.cleanup());

const TASKS = `name: tasks
version: 1.0.0
inputs:
  word: { type: string }
steps:
  - id: shout
    task: shout
    input: \${{ inputs.word }}
  - id: wait-a-bit
    needs: [shout]
    wait: 100ms
output: \${{ steps.shout.output }}
`;

const HANDLERS = `export function register(engine) {
  engine.registerTask('shout', (input) => String(input).toUpperCase() + '!');
}
`;

async function showRun(runId: string): Promise<{ status: string; output?: unknown }> {
  return (
    parseJson((await ws.run(['--json', 'runs', 'show', runId])).stdout) as {
      run: { status: string; output?: unknown };
    }
  ).run;
}

describe('baton worker', () => {
  test('executes runs started with --no-wait, using --require handlers, and stops gracefully on SIGTERM', async () => {
    ws.write('tasks.yaml', TASKS);
    ws.write('handlers.mjs', HANDLERS);
    const started = await ws.run(['run', 'tasks.yaml', '-i', 'word=hey', '--no-wait']);
    assert.equal(started.code, 0, started.stderr);
    const runId = started.stdout.trim();
    assert.match(started.stderr, /a worker executes it: baton --store \S+ worker/);

    const worker = ws.start(['worker', '--require', './handlers.mjs', '--concurrency', '4']);
    await worker.waitFor(new RegExp(`${runId} run completed`));
    worker.child.kill('SIGTERM');
    const result = await worker.exit;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${runId} step shout completed`));
    assert.match(result.stderr, /SIGTERM: stopping/);
    assert.match(result.stderr, /worker stopped/);
    const run = await showRun(runId);
    assert.equal(run.status, 'completed');
    assert.equal(run.output, 'HEY!');
  });

  test('run --require registers task handlers for the run in this process', async () => {
    const result = await ws.run(['run', 'tasks.yaml', '-i', 'word=ok', '--require', './handlers.mjs']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseJson(result.stdout), 'OK!');
  });

  test('a --require module without register() is a usage error', async () => {
    ws.write('empty.mjs', 'export const nothing = 1;\n');
    const result = await ws.run(['worker', '--require', './empty.mjs']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /must export a function register\(engine\)/);
  });
});
