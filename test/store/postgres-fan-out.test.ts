/**
 * A wide map run by several worker processes on one PostgreSQL: every item's result is a
 * commit on the same run, so the workers' commits keep conflicting. Each item must still
 * run exactly once — a worker that gave up on a conflicting commit used to leave its task
 * leased until the lease expired, and the item then ran a second time.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import '../../src/store/postgres/register.ts';
import { createEngine, type Engine } from '../../src/runtime/engine.ts';
import { openStore } from '../../src/store/open.ts';
import { dropSchema, freshSchema, postgresSkipReason } from '../helpers/postgres.ts';

const skip = await postgresSkipReason();
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const schema of schemas) await dropSchema(schema);
});

const WIDTH = 600;
const WORKERS = 4;
const LEASE_MS = 3_000;

const FAN_OUT = `
name: fan
version: 1.0.0
steps:
  - id: fan
    map:
      items: \${{ range(${WIDTH}) }}
      steps:
        - { id: work, task: item, input: { n: "\${{ item }}" } }
output: \${{ length(steps.fan.output) }}
`;

describe('a wide map on several workers', { skip }, () => {
  test('every item runs exactly once and the run completes, although the commits conflict', async () => {
    const { url, schema } = freshSchema('fanout');
    schemas.push(schema);
    const api = await createEngine({ store: url });
    const workers: Engine[] = [];
    const runs = new Map<number, number>();
    try {
      for (let i = 0; i < WORKERS; i++) {
        const worker = await createEngine({ store: url });
        worker.registerTask('item', (input: { n: number }) => {
          runs.set(input.n, (runs.get(input.n) ?? 0) + 1);
          return input.n;
        });
        workers.push(worker);
      }
      await api.register(FAN_OUT);
      const handle = await api.start('fan', {});
      for (const worker of workers) worker.startWorker({ concurrency: 8, leaseMs: LEASE_MS });
      assert.equal(await handle.result({ timeoutMs: 60_000 }), WIDTH);
      // Long enough for a task given up on to have been claimed and run again.
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 500));
      const repeated = [...runs].filter(([, count]) => count !== 1);
      assert.equal(runs.size, WIDTH);
      assert.deepEqual(repeated, [], 'items that ran more than once');
    } finally {
      for (const worker of workers) await worker.close();
      await api.close();
    }
  });

  test('claims of a map’s items do not ship its whole history each time', async () => {
    const { url, schema } = freshSchema('fanout_history');
    schemas.push(schema);
    const store = await openStore(url);
    // Events that travelled with claims, counted as the worker receives them.
    let shipped = 0;
    const claimTasks = store.claimTasks.bind(store);
    store.claimTasks = async (options) => {
      const tasks = await claimTasks(options);
      for (const task of tasks) shipped += task.history?.length ?? 0;
      return tasks;
    };
    const engine = await createEngine({ store });
    try {
      engine.registerTask('item', (input: { n: number }) => input.n);
      await engine.register(FAN_OUT);
      const handle = await engine.start('fan', {});
      engine.startWorker({ concurrency: 4 });
      assert.equal(await handle.result({ timeoutMs: 60_000 }), WIDTH);
      const history = (await store.loadEvents(handle.id)).length;
      // Items are handed out a few at a time; each claim used to carry the whole history so far.
      assert.ok(shipped <= 2 * history, `${shipped} events shipped with claims, for a history of ${history}`);
    } finally {
      await engine.close();
    }
  });
});
