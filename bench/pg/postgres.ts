/**
 * The PostgreSQL server the comparison runs on (BATON_BENCH_POSTGRES_URL, default the local
 * server's `postgres` database), and the databases each bench run creates on it and drops
 * afterwards, so runs never see each other's rows and nothing is left behind.
 */
import { Client } from 'pg';

export const ADMIN_URL =
  process.env.BATON_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** `ADMIN_URL` pointing at database `name`, with extra query parameters. */
export function databaseUrl(name: string, params: Record<string, string> = {}): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

/** The URL without its password, for messages. */
export function shownUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Undefined when the server answers; otherwise why not. */
export async function unreachableReason(): Promise<string | undefined> {
  try {
    await withClient(ADMIN_URL, (client) => client.query('SELECT 1'));
    return undefined;
  } catch (error) {
    const e = error as { message?: string; code?: string };
    return `PostgreSQL is not reachable at ${shownUrl(ADMIN_URL)} (${e.message || e.code || String(error)})`;
  }
}

export async function serverVersion(): Promise<string> {
  return withClient(ADMIN_URL, async (client) => {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return rows[0].v.split(' ')[0];
  });
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function createDatabase(name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`bad database name ${name}`);
  await withClient(ADMIN_URL, (client) => client.query(`CREATE DATABASE ${name}`));
}

/** Drops `name`, closing whatever connections a killed worker may have left. */
export async function dropDatabase(name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`bad database name ${name}`);
  await withClient(ADMIN_URL, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** The single number `sql` returns on `url` (a count, typically). */
export async function queryNumber(url: string, sql: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query(sql);
    return Number(Object.values(rows[0] as Record<string, unknown>)[0]);
  });
}

export interface Counter {
  /** The single number `sql` returns (a count, typically). */
  count(sql: string): Promise<number>;
  /** The first column of every row `sql` returns, as numbers. */
  column(sql: string): Promise<number[]>;
  close(): Promise<void>;
}

/** A connection kept open for repeated counting while a workload runs. */
export async function openCounter(url: string): Promise<Counter> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  const column = async (sql: string) =>
    (await client.query(sql)).rows.map((row) => Number(Object.values(row as Record<string, unknown>)[0]));
  return {
    count: async (sql) => (await column(sql))[0],
    column,
    close: () => client.end(),
  };
}
