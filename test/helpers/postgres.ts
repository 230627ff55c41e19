/**
 * PostgreSQL for tests: a real server (BATON_TEST_POSTGRES_URL, default the local `test`
 * database), never a mock. Each test file works in its own fresh schema, dropped
 * afterwards, so files running in parallel never see each other's rows; tests within a
 * file empty the tables between them. When the server is unreachable, tests are skipped
 * with a message — except under CI=true, where that is a failure.
 */
import { Client } from 'pg';

export const POSTGRES_TEST_URL =
  process.env.BATON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let counter = 0;

/** A schema name no other test file or process uses. */
export function uniqueSchemaName(label = 't'): string {
  counter += 1;
  return `baton_${label}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** The test database URL with Baton's own parameters added. */
export function postgresUrl(params: Record<string, string> = {}): string {
  const url = new URL(POSTGRES_TEST_URL);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

/** Runs one statement on a short-lived admin connection. */
export async function adminQuery<R extends Record<string, unknown> = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

export interface TestSchema {
  schema: string;
  /** Connection URL selecting the schema (`?schema=`), plus any extra parameters. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh schema name and its URL; the store creates the schema on init. */
export function freshSchema(label?: string, params: Record<string, string> = {}): TestSchema {
  const schema = uniqueSchemaName(label);
  return { schema, url: postgresUrl({ ...params, schema }), drop: () => dropSchema(schema) };
}

const BATON_TABLES = [
  'definitions',
  'runs',
  'events',
  'steps',
  'tasks',
  'rejected_commits',
  'concurrency_limits',
  'llm_cache',
];

/** Deletes every row of Baton's tables in `schema` (much cheaper than re-creating the schema per test). */
export async function emptyBatonTables(schema: string): Promise<void> {
  await adminQuery(BATON_TABLES.map((table) => `DELETE FROM "${schema}".${table};`).join('\n'));
}

/**
 * Undefined when the server answers; otherwise the reason to skip. Under CI=true an
 * unreachable server throws instead, failing the test file rather than skipping it.
 */
export async function postgresSkipReason(): Promise<string | undefined> {
  try {
    await adminQuery('SELECT 1');
    return undefined;
  } catch (error) {
    const cause =
      (error as { message?: string; code?: string }).message ||
      (error as { code?: string }).code ||
      String(error);
    const where = POSTGRES_TEST_URL.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
    const reason = `PostgreSQL is not reachable at ${where} (${cause}); set BATON_TEST_POSTGRES_URL or start the server`;
    if (process.env.CI === 'true') throw new Error(`${reason}. CI=true, so this is a failure, not a skip.`);
    return reason;
  }
}
