/**
 * PostgreSQL store under connection trouble: an unreachable server, connections killed by
 * the server while idle or in the middle of commits. Failures must surface as retryable
 * STORE_UNAVAILABLE errors (never as a crash) and commits must stay all-or-nothing.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { adminQuery, dropSchema, freshSchema, postgresSkipReason } from '../helpers/postgres.ts';
import { sleep } from './contract-support.ts';
import { RunBuilder, scheduled } from './run-builder.ts';

const skip = await postgresSkipReason();
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const schema of schemas) await dropSchema(schema);
});

function isUnavailable(error: unknown): boolean {
  return error instanceof BatonError && error.code === 'STORE_UNAVAILABLE' && error.retryable;
}

async function terminate(applicationName: string): Promise<number> {
  const rows = await adminQuery(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows.length;
}

async function connectionCount(applicationName: string): Promise<number> {
  const [{ n }] = await adminQuery<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return n;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

describe('PostgreSQL store robustness', () => {
  test('an unreachable server gives retryable STORE_UNAVAILABLE errors', async () => {
    const port = await freePort();
    const store = new PostgresStore({
      url: `postgres://postgres@127.0.0.1:${port}/test?schema=nowhere`,
      connectionTimeoutMs: 2_000,
    });
    try {
      await assert.rejects(store.init(), isUnavailable);
      await assert.rejects(store.getRun('r1'), isUnavailable);
      await assert.rejects(
        store.commit({ writes: [RunBuilder.start('r1', { at: 1 }).write] }),
        isUnavailable,
      );
    } finally {
      await store.close();
    }
  });

  test('idle connections killed by the server are replaced without crashing', { skip }, async () => {
    const appName = `baton-idle-${process.pid}`;
    const { url, schema } = freshSchema('idle', { application_name: appName });
    schemas.push(schema);
    const background: unknown[] = [];
    const store = new PostgresStore({ url, onBackgroundError: (error) => background.push(error) });
    try {
      await store.init();
      await Promise.all([store.now(), store.now(), store.now()]);
      assert.ok((await terminate(appName)) > 0);
      await sleep(100);
      assert.ok(
        background.length > 0 && background.every(isUnavailable),
        'the pool reported the dropped connections',
      );
      assert.deepEqual(await store.listRuns(), []);
      assert.ok((await store.now()) > 0);
    } finally {
      await store.close();
    }
  });

  test('reads sent right after the server killed the pooled connections succeed', { skip }, async () => {
    const appName = `baton-reread-${process.pid}`;
    const { url, schema } = freshSchema('reread', { application_name: appName });
    schemas.push(schema);
    const store = new PostgresStore({ url, onBackgroundError: () => undefined });
    try {
      await store.init();
      await store.commit({ writes: [RunBuilder.start('r1', { at: 1 }).write] });
      for (let round = 0; round < 20; round++) {
        await Promise.all([store.now(), store.now(), store.now()]);
        assert.ok((await terminate(appName)) > 0);
        // No pause: the pool may still hold connections whose goodbye it has not read.
        const [runs, run] = await Promise.all([store.listRuns(), store.getRun('r1')]);
        assert.deepEqual(
          runs.map((r) => r.id),
          ['r1'],
        );
        assert.equal(run?.id, 'r1');
      }
    } finally {
      await store.close();
    }
  });

  test('commits interrupted by killed connections fail retryably and never leave partial writes', {
    skip,
  }, async () => {
    const appName = `baton-kill-${process.pid}`;
    const { url, schema } = freshSchema('kill', { application_name: appName });
    schemas.push(schema);
    const store = new PostgresStore({ url, poolSize: 4 });
    await store.init();
    const at = await store.now();
    const outcomes = new Map<string, 'ok' | 'unavailable'>();
    let killing = true;
    const killer = (async () => {
      while (killing) {
        await terminate(appName);
        await sleep(3);
      }
    })();
    try {
      await Promise.all(
        Array.from({ length: 4 }, async (_, lane) => {
          for (let i = 0; i < 40; i++) {
            const id = `run-${lane}-${i}`;
            const { write } = RunBuilder.start(id, { at }, [scheduled('a', at), scheduled('b', at)]);
            try {
              const result = await store.commit({ writes: [write] });
              assert.deepEqual(result, { ok: true });
              outcomes.set(id, 'ok');
            } catch (error) {
              assert.ok(isUnavailable(error), `unexpected error: ${String(error)}`);
              outcomes.set(id, 'unavailable');
            }
          }
        }),
      );
    } finally {
      killing = false;
      await killer;
      await sleep(100);
    }
    try {
      assert.ok([...outcomes.values()].includes('unavailable'), 'some commits were interrupted');
      for (const [id, outcome] of outcomes) {
        const run = await store.getRun(id);
        const events = await store.loadEvents(id);
        const steps = await store.getSteps(id);
        const tasks = await Promise.all(['a', 'b'].map((path) => store.getTask(`${id}|step|${path}|1`)));
        const present = [run !== undefined, events.length === 3, steps.length === 2, tasks.every(Boolean)];
        if (outcome === 'ok') assert.deepEqual(present, [true, true, true, true], id);
        else
          assert.ok(
            present.every((p) => p === present[0]) && (present[0] || events.length === 0),
            `${id} is partial: ${present}`,
          );
      }
    } finally {
      await store.close();
    }
  });

  test('close() ends every connection of the store, the listener included', { skip }, async () => {
    const appName = `baton-close-${process.pid}`;
    const { url, schema } = freshSchema('close', { application_name: appName });
    schemas.push(schema);
    const store = new PostgresStore({ url });
    await store.init();
    store.onTasksAvailable(() => undefined);
    await store.listening();
    await Promise.all([store.now(), store.now()]);
    assert.ok((await connectionCount(appName)) >= 2);
    await store.close();
    for (let i = 0; i < 50 && (await connectionCount(appName)) > 0; i++) await sleep(20);
    assert.equal(await connectionCount(appName), 0);
    await store.close();
    await assert.rejects(
      store.getRun('r1'),
      (error: unknown) => error instanceof BatonError && error.code === 'STORE_CLOSED',
    );
    await assert.rejects(store.commit({ writes: [RunBuilder.start('r1', { at: 1 }).write] }), /after close/);
  });
});
