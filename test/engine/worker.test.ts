import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine } from '../../src/runtime/engine.ts';

test('a worker whose filters exclude the due work keeps the event loop free', async () => {
  const engine = await createEngine({ store: 'memory' });
  try {
    const { name } = await engine.register('name: filtered\nsteps:\n  - { id: a, task: nobody }\n');
    engine.startWorker({ kinds: ['timer'], pollMs: 50 });
    await engine.start(name);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(Date.now() - started < 1_000, 'a 100 ms timer fired on time');
    assert.equal((await engine.listRuns())[0].status, 'running', 'the step task was left for another worker');
  } finally {
    await engine.close();
  }
});
