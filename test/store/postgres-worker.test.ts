/**
 * Workers on PostgreSQL are woken by LISTEN/NOTIFY, not by polling: with a poll interval of
 * a minute, a run started by another process starts at once, and a durable timer committed
 * by another process fires on time.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import '../../src/store/postgres/register.ts';
import { createEngine, type Engine } from '../../src/runtime/engine.ts';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { dropSchema, freshSchema, postgresSkipReason } from '../helpers/postgres.ts';

const skip = await postgresSkipReason();
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const schema of schemas) await dropSchema(schema);
});

const NO_POLLING_MS = 60_000;

async function pair(label: string): Promise<{ api: Engine; worker: Engine; started: number[] }> {
  const { url, schema } = freshSchema(label);
  schemas.push(schema);
  const api = await createEngine({ store: url });
  const worker = await createEngine({ store: url });
  const started: number[] = [];
  worker.registerTask('note', async () => {
    started.push(Date.now());
    return 'ok';
  });
  worker.startWorker({ pollMs: NO_POLLING_MS, leaseMs: 5_000 });
  await (worker.store as PostgresStore).listening();
  return { api, worker, started };
}

describe('workers woken by LISTEN/NOTIFY', { skip }, () => {
  test('a run started by another process starts without waiting for a poll', async () => {
    const { api, worker, started } = await pair('wake');
    try {
      await api.register('name: quick\nsteps:\n  - { id: a, task: note }\noutput: ${{ steps.a.output }}\n');
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const before = Date.now();
        const handle = await api.start('quick');
        assert.equal(await handle.result({ timeoutMs: 5_000 }), 'ok');
        latencies.push(started[i] - before);
      }
      assert.ok(Math.max(...latencies) < 1_000, `start → first step took ${latencies.join(', ')} ms`);
    } finally {
      await api.close();
      await worker.close();
    }
  });

  test('a timer committed by another process wakes the worker when it falls due', async () => {
    const { api, worker, started } = await pair('timer');
    try {
      await api.register(
        'name: later\nsteps:\n  - { id: nap, wait: 700ms }\n  - { id: a, task: note, needs: [nap] }\n',
      );
      const before = Date.now();
      const handle = await api.start('later');
      await handle.result({ timeoutMs: 10_000 });
      const waited = started[0] - before;
      assert.ok(waited >= 690 && waited < 2_000, `the step ran ${waited} ms after the start`);
    } finally {
      await api.close();
      await worker.close();
    }
  });
});
