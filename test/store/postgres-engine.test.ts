/** The engine end to end on PostgreSQL, selected by URL through the registered store factory. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import '../../src/store/postgres/register.ts';
import { createEngine, type Engine } from '../../src/runtime/engine.ts';
import { dropSchema, freshSchema, postgresSkipReason } from '../helpers/postgres.ts';

const skip = await postgresSkipReason();
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const schema of schemas) await dropSchema(schema);
});

const WORKFLOW = `
name: greet
version: 1.0.0
inputs:
  name: { type: string }
steps:
  - id: hello
    task: greet
    input: { name: "\${{ inputs.name }}" }
  - id: shout
    needs: [hello]
    set: { loud: "\${{ steps.hello.output.greeting }}!" }
output: \${{ steps.shout.output }}
`;

function schemaUrl(label: string): string {
  const fresh = freshSchema(label);
  schemas.push(fresh.schema);
  return fresh.url;
}

describe('engine on PostgreSQL', { skip }, () => {
  test('start() by name reads the definition once, and runs the newer one another process registered since', async () => {
    const url = schemaUrl('resolve');
    const api = await createEngine({ store: url });
    const other = await createEngine({ store: url });
    try {
      await other.register(WORKFLOW);
      let reads = 0;
      const latestDefinition = api.store.latestDefinition.bind(api.store);
      api.store.latestDefinition = (...args) => {
        reads++;
        return latestDefinition(...args);
      };
      const first = await api.start('greet', { name: 'Ada' });
      const second = await api.start('greet', { name: 'Bo' });
      assert.equal(reads, 1, 'the name is resolved once');
      assert.equal((await api.getRun(second.id)).workflowVersion, '1.0.0');
      await other.register(WORKFLOW.replace('version: 1.0.0', 'version: 2.0.0'));
      const third = await api.start('greet', { name: 'Cy' }, { runId: 'after-v2' });
      assert.equal(third.id, 'after-v2');
      assert.equal((await api.getRun('after-v2')).workflowVersion, '2.0.0', 'the newer definition runs');
      assert.equal(reads, 2, 'the name is resolved again once the create commit found it stale');
      assert.equal((await api.getRun(first.id)).workflowVersion, '1.0.0');
    } finally {
      await api.close();
      await other.close();
    }
  });

  test('runs a workflow with a task handler and records its history', async () => {
    const engine = await createEngine({ store: schemaUrl('engine') });
    const calls: unknown[] = [];
    try {
      assert.equal(engine.store.kind, 'postgres');
      engine.registerTask('greet', async (input: { name: string }) => {
        calls.push(input);
        return { greeting: `hello ${input.name}` };
      });
      await engine.register(WORKFLOW);
      engine.startWorker({ leaseMs: 5_000 });
      const handle = await engine.start('greet', { name: 'Ada' });
      assert.deepEqual(await handle.result({ timeoutMs: 10_000 }), { loud: 'hello Ada!' });
      assert.deepEqual(calls, [{ name: 'Ada' }]);
      const history = await engine.history(handle.id);
      assert.deepEqual(
        history.map((e) => [e.type, 'path' in e ? e.path : undefined]),
        [
          ['RunStarted', undefined],
          ['StepScheduled', 'hello'],
          ['StepCompleted', 'hello'],
          ['StepCompleted', 'shout'],
          ['RunCompleted', undefined],
        ],
      );
      assert.deepEqual(
        history.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      const run = await engine.getRun(handle.id);
      assert.equal(run.status, 'completed');
      assert.deepEqual(
        run.steps.map((s) => [s.path, s.status]),
        [
          ['hello', 'completed'],
          ['shout', 'completed'],
        ],
      );
      assert.equal(await engine.store.nextWakeup(), undefined, 'no task is left behind');
      const again = await engine.start('greet', { name: 'Ada' }, { idempotencyKey: 'once' });
      const dup = await engine.start('greet', { name: 'Bob' }, { idempotencyKey: 'once' });
      assert.deepEqual([dup.id, dup.created], [again.id, false]);
    } finally {
      await engine.close();
    }
  });

  test('a run started by one process is executed by a worker in another', async () => {
    const url = schemaUrl('twoproc');
    const api: Engine = await createEngine({ store: url });
    const worker: Engine = await createEngine({ store: url });
    try {
      worker.registerTask('greet', (input: { name: string }) => ({ greeting: `hi ${input.name}` }));
      worker.startWorker({ leaseMs: 5_000, pollMs: 50 });
      await api.register(WORKFLOW);
      const handle = await api.start('greet', { name: 'Grace' });
      assert.deepEqual(await handle.result({ timeoutMs: 10_000 }), { loud: 'hi Grace!' });
      assert.deepEqual(
        (await api.listRuns({ status: ['completed'] })).map((r) => r.id),
        [handle.id],
      );
    } finally {
      await api.close();
      await worker.close();
    }
  });

  test('a process waiting on a run another process finishes hears of it at once, not at its next poll', async () => {
    const url = schemaUrl('outcome');
    const api: Engine = await createEngine({ store: url });
    const worker: Engine = await createEngine({ store: url });
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      worker.registerTask('greet', async (input: { name: string }) => {
        await gate;
        return { greeting: `hi ${input.name}` };
      });
      worker.startWorker({ leaseMs: 5_000 });
      await api.register(WORKFLOW);
      // The waiter reads the run row, finds it running, and sleeps; count its reads.
      let reads = 0;
      const getRun = api.store.getRun.bind(api.store);
      api.store.getRun = (runId) => {
        reads++;
        return getRun(runId);
      };
      const handle = await api.start('greet', { name: 'Ada' });
      const result = handle.result({ timeoutMs: 10_000 });
      while (reads === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const released = performance.now();
      release();
      assert.deepEqual(await result, { loud: 'hi Ada!' });
      const waited = performance.now() - released;
      // Polling alone would have slept about 450 ms more.
      assert.ok(waited < 300, `heard of the outcome ${Math.round(waited)} ms after the step was let go`);
    } finally {
      await api.close();
      await worker.close();
    }
  });

  test('a worker runs runs started elsewhere with the history its claim read, not a second read', async () => {
    const url = schemaUrl('claimhist');
    const api: Engine = await createEngine({ store: url });
    const worker: Engine = await createEngine({ store: url });
    const reads: string[] = [];
    const loadEvents = worker.store.loadEvents.bind(worker.store);
    worker.store.loadEvents = (runId, afterSeq) => {
      reads.push(runId);
      return loadEvents(runId, afterSeq);
    };
    try {
      worker.registerTask('greet', (input: { name: string }) => ({ greeting: `hi ${input.name}` }));
      await api.register(WORKFLOW);
      const handles = await Promise.all(
        ['Ada', 'Grace', 'Edsger'].map((name) => api.start('greet', { name })),
      );
      worker.startWorker({ leaseMs: 5_000, pollMs: 50 });
      for (const [i, name] of ['Ada', 'Grace', 'Edsger'].entries())
        assert.deepEqual(await handles[i].result({ timeoutMs: 10_000 }), { loud: `hi ${name}!` });
      assert.deepEqual(reads, [], 'the worker read no run history outside its claims');
    } finally {
      await api.close();
      await worker.close();
    }
  });
});
