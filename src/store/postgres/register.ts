/**
 * Plugs the PostgreSQL store into `openStore`: importing this module (for its side effect)
 * makes `postgres://…` and `postgresql://…` URLs work, e.g. in BATON_DATABASE_URL. It is a
 * separate module so that embedded SQLite users never load the `pg` driver.
 */
import { registerStoreFactory } from '../open.ts';
import { PostgresStore } from './postgres-store.ts';

/** The factory behind the URLs: a store for `url`; `openStore` then calls `init()`. */
export async function openPostgresStore(url: string): Promise<PostgresStore> {
  return new PostgresStore({ url });
}

registerStoreFactory('postgres', openPostgresStore);
registerStoreFactory('postgresql', openPostgresStore);
