/**
 * The store's connection pool with Baton's error discipline: every driver failure becomes
 * a BatonError (STORE_UNAVAILABLE when the database cannot be reached), an idle connection
 * dropped by the server never crashes the process, and a connection that failed mid-use is
 * destroyed rather than handed to the next caller.
 */
import {
  type ClientConfig,
  type CustomTypesConfig,
  Pool,
  type PoolClient,
  types as pgTypes,
  type QueryResultRow,
} from 'pg';
import { BatonError } from '../../errors.ts';
import type { PostgresSettings } from './config.ts';
import { isConnectionError, storeError } from './errors.ts';

const JSON_OID = 114;
const JSONB_OID = 3802;
const INT8_OID = 20;

/** Tries of a read whose connections keep turning out dead (an unreachable server fails each at once). */
const READ_ATTEMPTS = 3;

/** JSON stays text (the shared row mapping parses it once); bigint epoch-ms values fit a double. */
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === JSON_OID || oid === JSONB_OID) return (value: string) => value;
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pgTypes.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};

export function clientConfig(settings: PostgresSettings): ClientConfig {
  return {
    connectionString: settings.connectionString,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    application_name: settings.applicationName,
    keepAlive: true,
    types: TYPES,
  };
}

export class StorePool {
  readonly #pool: Pool;
  readonly #name: string;
  #ended = false;

  constructor(settings: PostgresSettings, onBackgroundError: (error: unknown) => void) {
    this.#name = `schema ${settings.schema}`;
    this.#pool = new Pool({ ...clientConfig(settings), max: settings.poolSize, idleTimeoutMillis: 30_000 });
    this.#pool.on('error', (error) => onBackgroundError(storeError(error, 'idle connection')));
  }

  /** With `name`, each connection prepares (parses and plans) the statement once. */
  async query<R extends QueryResultRow = Record<string, unknown>>(
    operation: string,
    text: string,
    params: unknown[] = [],
    name?: string,
  ) {
    this.#checkOpen(operation);
    try {
      return await this.#pool.query<R>({ name, text, values: params });
    } catch (error) {
      throw storeError(error, operation);
    }
  }

  /**
   * A statement without side effects. Retried when its connection turned out to be dead —
   * killed by the server while idle in the pool, its goodbye not yet read when the pool
   * handed it out — since each failed connection is destroyed and the next may be fresh.
   * Writes are never retried here: a write's outcome is unknown after a lost connection.
   */
  async read<R extends QueryResultRow = Record<string, unknown>>(
    operation: string,
    text: string,
    params: unknown[] = [],
    name?: string,
  ) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.query<R>(operation, text, params, name);
      } catch (error) {
        if (this.#ended || attempt >= READ_ATTEMPTS || !isConnectionError(error)) throw error;
      }
    }
  }

  /** Runs `work` on one connection (for transactions). */
  async withClient<T>(operation: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    this.#checkOpen(operation);
    // A checked-out client has no error listener of the pool's; without one, a connection
    // dropped between queries would be an unhandled 'error' event. The listener is attached
    // in the callback, synchronously: the server's goodbye can arrive in the same packet
    // as the connection's readiness, before a promise continuation would run.
    let broken: unknown;
    const onError = (error: unknown) => {
      broken ??= error;
    };
    const client = await new Promise<PoolClient>((resolve, reject) => {
      this.#pool.connect((error, connected) => {
        if (error || !connected) reject(storeError(error ?? new Error('no connection'), operation));
        else {
          connected.on('error', onError);
          resolve(connected);
        }
      });
    });
    try {
      return await work(client);
    } catch (error) {
      broken ??= error;
      throw storeError(error, operation);
    } finally {
      client.off('error', onError);
      client.release(
        broken === undefined ? undefined : broken instanceof Error ? broken : new Error(String(broken)),
      );
    }
  }

  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#pool.end();
  }

  #checkOpen(operation: string): void {
    if (this.#ended)
      throw new BatonError('STORE_CLOSED', `PostgreSQL store (${this.#name}): ${operation} after close()`);
  }
}
