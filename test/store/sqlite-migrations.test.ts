/**
 * Upgrading a SQLite file written by an earlier Baton: migrations after the file's version
 * apply on open, and the history already recorded reads back the same. Migration 6 moved
 * the history off its per-run index onto pointers from each event to its predecessor.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { completed, RunBuilder, scheduled } from './run-builder.ts';

test('a version-5 file upgrades in place: histories, runs and new commits continue', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'baton-migrate-'));
  const path = join(dir, 'old.db');
  try {
    const at = Date.now();
    const old = new DatabaseSync(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version <= 5)) {
      old.exec(migration.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(migration.version, at);
    }
    // Two runs' events interleaved the way group commits append them.
    const insertRun =
      old.prepare(`INSERT INTO runs (id, ordinal, workflow_name, workflow_version, workflow_hash,
      status, input, seq, created_at, updated_at) VALUES (?, ?, 'wf', '1', 'h', 'running', '{}', ?, ?, ?)`);
    const insertEvent = old.prepare(
      'INSERT INTO events (run_id, seq, type, at, body) VALUES (?, ?, ?, ?, ?)',
    );
    const builders = ['a', 'b'].map((id) => RunBuilder.start(id, { at }, [scheduled('s0', at)]));
    const writes = [builders.map((b) => b.write)];
    writes.push(builders.map((b) => b.builder.next([completed('s0', 'x'), scheduled('s1', at)], at)));
    for (const round of writes)
      for (const write of round)
        for (const event of write.events)
          insertEvent.run(write.runId, event.seq, event.type, event.at, JSON.stringify(event));
    builders.forEach((b, i) => {
      insertRun.run(b.builder.id, i + 1, b.builder.state.seq, at, at);
    });
    old.close();

    const store = new SqliteStore({ path });
    await store.init();
    try {
      for (const { builder } of builders) {
        assert.deepEqual(
          (await store.loadEvents(builder.id)).map((e) => [e.seq, e.type]),
          [
            [1, 'RunStarted'],
            [2, 'StepScheduled'],
            [3, 'StepCompleted'],
            [4, 'StepScheduled'],
          ],
        );
      }
      const next = builders[0].builder.next([completed('s1', 'y')], at);
      assert.deepEqual(await store.commit({ writes: [next] }), { ok: true });
      assert.deepEqual(
        (await store.loadEvents('a', 3)).map((e) => [e.seq, e.type]),
        [
          [4, 'StepScheduled'],
          [5, 'StepCompleted'],
        ],
      );
      assert.equal((await store.loadEvents('b')).length, 4);
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
