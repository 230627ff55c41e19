/**
 * The SQLite store's opt-in writer thread (src/store/sqlite/write-path.ts): off by default;
 * with 'auto', writes move to it when a group commit holds many runs, stay on the store's
 * own connection under light load and come back when the thread has idled; an unclosed
 * store never keeps the process alive.
 * The full contract suite also runs with writes on the thread (sqlite.contract.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.ts';
import { RunBuilder, scheduled } from './run-builder.ts';

async function withStore(
  options: Omit<SqliteStoreOptions, 'path'>,
  work: (store: SqliteStore, path: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-writer-'));
  const path = join(dir, 'baton.db');
  const store = new SqliteStore({ path, ...options });
  await store.init();
  try {
    await work(store, path);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts `count` runs in one turn of the event loop, so they share a group commit. */
async function startRuns(store: SqliteStore, prefix: string, count: number): Promise<void> {
  const at = await store.now();
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      store.commit({ writes: [RunBuilder.start(`${prefix}-${i}`, { at }, [scheduled('a', at)]).write] }),
    ),
  );
  assert.ok(results.every((result) => result.ok));
}

describe('SQLite writer thread', () => {
  test('by default writes stay on the store connection, even in a big group commit', () =>
    withStore({}, async (store) => {
      await startRuns(store, 'default', 60);
      assert.equal(store.writesOnThread, false);
      assert.equal((await store.listRuns({ limit: 100 })).length, 60);
    }));

  test("'auto': light load keeps writes on the store connection", () =>
    withStore({ writerThread: 'auto' }, async (store) => {
      for (let i = 0; i < 5; i++) await startRuns(store, `light${i}`, 3);
      assert.equal(store.writesOnThread, false);
      assert.equal((await store.listRuns({ limit: 100 })).length, 15);
    }));

  test("'auto': a group commit of many runs moves writes to the thread; every write lands and reads see it", () =>
    withStore({ writerThread: 'auto' }, async (store) => {
      await startRuns(store, 'burst', 60);
      assert.equal(store.writesOnThread, true);
      // What the thread committed is visible on the store's own connection at once.
      assert.equal((await store.listRuns({ limit: 100 })).length, 60);
      const claimed = await store.claimTasks({ owner: 'w1', limit: 100, leaseMs: 60_000, kinds: ['step'] });
      assert.equal(claimed.length, 60);
      const lease = { taskId: claimed[0].id, owner: 'w1', token: claimed[0].token };
      // The held lease renews; a stale token for the same task is reported lost.
      assert.deepEqual(await store.renewLeases([lease, { ...lease, token: lease.token + 1 }], 60_000), [
        lease.taskId,
      ]);
      await store.releaseTask(lease);
      assert.equal((await store.getTask(lease.taskId))?.owner, undefined);
      await startRuns(store, 'more', 30);
      assert.equal((await store.listRuns({ limit: 200 })).length, 90);
    }));

  test("'auto': an idle thread ends; writes go on (on the store connection) and can move back", () =>
    withStore({ writerThread: 'auto', writerThreadIdleMs: 40 }, async (store) => {
      await startRuns(store, 'first', 40);
      assert.equal(store.writesOnThread, true);
      const deadline = Date.now() + 5_000;
      while (store.writesOnThread && Date.now() < deadline) await sleep(20);
      assert.equal(store.writesOnThread, false, 'the idle thread ended');
      await startRuns(store, 'after', 3);
      assert.equal(store.writesOnThread, false);
      await startRuns(store, 'again', 40);
      assert.equal(store.writesOnThread, true);
      assert.equal((await store.listRuns({ limit: 200 })).length, 83);
    }));

  test('a SQL error on the thread fails only its own request, with the SQLite error code', () =>
    withStore({ writerThread: 'always' }, async (store) => {
      const at = await store.now();
      const broken = RunBuilder.start('broken', { at }).write;
      broken.run = { ...broken.run, workflowName: null as unknown as string };
      const [good, bad] = await Promise.allSettled([
        store.commit({ writes: [RunBuilder.start('good', { at }).write] }),
        store.commit({ writes: [broken] }),
      ]);
      assert.equal(good.status, 'fulfilled');
      assert.equal(bad.status, 'rejected');
      assert.equal((bad as PromiseRejectedResult).reason.code, 'ERR_SQLITE_ERROR');
      assert.match((bad as PromiseRejectedResult).reason.message, /NOT NULL/);
      assert.equal((await store.getRun('good'))?.seq, 1);
      assert.equal(await store.getRun('broken'), undefined);
    }));

  test('a store that is never closed does not keep the process alive', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-writer-exit-'));
    try {
      const script = `
        import { SqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite/sqlite-store.ts', import.meta.url).href)};
        import { RunBuilder } from ${JSON.stringify(new URL('./run-builder.ts', import.meta.url).href)};
        const store = new SqliteStore({ path: ${JSON.stringify(join(dir, 'baton.db'))}, writerThread: 'always' });
        await store.init();
        const result = await store.commit({ writes: [RunBuilder.start('r', { at: Date.now() }).write] });
        console.log(JSON.stringify(result));
      `;
      const child = spawnSync(process.execPath, ['--input-type=module', '--eval', script], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(child.signal, null, 'the process exited by itself');
      assert.equal(child.status, 0, child.stderr);
      assert.equal(child.stdout.trim(), '{"ok":true}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
