/**
 * The Store contract against a real PostgreSQL server, in a schema of this file's own that
 * is dropped afterwards; each test starts from empty tables. Skipped with a message when
 * no server is reachable, unless CI=true, where that fails.
 */
import { after, test } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { emptyBatonTables, freshSchema, postgresSkipReason } from '../helpers/postgres.ts';
import { runStoreContract } from './contract.ts';

const skip = await postgresSkipReason();

if (skip) {
  test('PostgreSQL store contract', { skip }, () => undefined);
} else {
  const { url, schema, drop } = freshSchema('contract');
  after(drop);
  let migrated = false;
  runStoreContract(
    'postgres',
    async () => {
      if (migrated) await emptyBatonTables(schema);
      const store = new PostgresStore({ url });
      const others: PostgresStore[] = [];
      await store.init();
      migrated = true;
      return {
        store,
        connect: async () => {
          const other = new PostgresStore({ url });
          others.push(other);
          await other.init();
          return other;
        },
        cleanup: async () => {
          await store.close();
          for (const other of others) await other.close();
        },
      };
    },
    { claimsCarryHistory: true },
  );
}
