/**
 * The Store contract against the SQLite store: a file in a temp directory (writes on the
 * store's connection, and on a writer thread), and ':memory:'.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { type ContractOptions, runStoreContract } from './contract.ts';

const SQLITE_GAPS: ContractOptions = {};

for (const writerThread of ['never', 'always'] as const) {
  runStoreContract(
    `sqlite file (writer thread: ${writerThread})`,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'baton-store-'));
      const path = join(dir, 'baton.db');
      const store = new SqliteStore({ path, writerThread });
      await store.init();
      return {
        store,
        connect: async () => {
          const other = new SqliteStore({ path, writerThread });
          await other.init();
          return other;
        },
        cleanup: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
    SQLITE_GAPS,
  );
}

runStoreContract(
  'sqlite :memory:',
  async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.init();
    return { store, cleanup: () => store.close() };
  },
  SQLITE_GAPS,
);
