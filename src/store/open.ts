/**
 * Store selection by URL: `sqlite:<path>` (default `.baton/baton.db`), `sqlite::memory:`
 * or `memory` for tests, `postgres://…` for scale-out. Also read from BATON_DATABASE_URL.
 */
import { BatonError } from '../errors.ts';
import type { Clock } from '../util/clock.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './types.ts';

export const DEFAULT_STORE_URL = 'sqlite:.baton/baton.db';

export type StoreFactory = (url: string, clock?: Clock) => Promise<Store>;

const factories = new Map<string, StoreFactory>();

/** Lets other stores (PostgreSQL) plug in without this module importing their drivers eagerly. */
export function registerStoreFactory(protocol: string, factory: StoreFactory): void {
  factories.set(protocol, factory);
}

export function resolveStoreUrl(url?: string): string {
  return url ?? process.env.BATON_DATABASE_URL ?? DEFAULT_STORE_URL;
}

export async function openStore(url?: string, clock?: Clock): Promise<Store> {
  const resolved = resolveStoreUrl(url);
  let store: Store;
  if (resolved === 'memory' || resolved === 'sqlite::memory:') {
    store = new SqliteStore({ path: ':memory:', clock });
  } else if (resolved.startsWith('sqlite:')) {
    store = new SqliteStore({ path: resolved.slice('sqlite:'.length), clock });
  } else {
    const protocol = resolved.split(':')[0];
    // Loaded on demand so embedded users never load the PostgreSQL driver.
    if ((protocol === 'postgres' || protocol === 'postgresql') && !factories.has(protocol))
      await import('./postgres/register.ts');
    const factory = factories.get(protocol);
    if (!factory) {
      throw new BatonError(
        'INVALID_STORE_URL',
        `unsupported store URL "${redactUrl(resolved)}"; use sqlite:<path>, memory or postgres://…`,
      );
    }
    store = await factory(resolved, clock);
  }
  await store.init();
  return store;
}

/** Hides a password in a connection URL for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
