/** PostgreSQL store: schema creation, numbered migrations under an advisory lock, URL settings. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { openStore } from '../../src/store/open.ts';
import { postgresSettings } from '../../src/store/postgres/config.ts';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import '../../src/store/postgres/register.ts';
import {
  adminQuery,
  dropSchema,
  freshSchema,
  postgresSkipReason,
  postgresUrl,
  uniqueSchemaName,
} from '../helpers/postgres.ts';

const skip = await postgresSkipReason();
const schemas: string[] = [];
after(async () => {
  if (!skip) for (const schema of schemas) await dropSchema(schema);
});

function schemaForTest(label: string, params: Record<string, string> = {}) {
  const fresh = freshSchema(label, params);
  schemas.push(fresh.schema);
  return fresh;
}

describe('PostgreSQL migrations', { skip }, () => {
  test('five processes initialising a fresh schema at once all succeed and apply each migration once', async () => {
    const { url, schema } = schemaForTest('mig');
    const stores = Array.from({ length: 5 }, () => new PostgresStore({ url }));
    try {
      await Promise.all(stores.map((store) => store.init()));
      const rows = await adminQuery<{ version: number; name: string }>(
        `SELECT version, name FROM "${schema}".baton_migrations ORDER BY version`,
      );
      assert.deepEqual(
        rows.map((row) => [row.version, row.name]),
        POSTGRES_MIGRATIONS.map((m) => [m.version, m.name]),
      );
      const tables = await adminQuery<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      assert.deepEqual(
        tables.map((t) => t.table_name),
        [
          'baton_migrations',
          'concurrency_limits',
          'definitions',
          'events',
          'llm_cache',
          'rejected_commits',
          'runs',
          'steps',
          'tasks',
        ],
      );
      await Promise.all(stores.map((store) => store.now()));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  test('an existing schema made by an administrator is used as it is', async () => {
    const schema = uniqueSchemaName('pre');
    schemas.push(schema);
    await adminQuery(`CREATE SCHEMA "${schema}"`);
    const store = new PostgresStore({ url: postgresUrl(), schema });
    try {
      await store.init();
      assert.equal(store.schema, schema);
      assert.equal(
        (await adminQuery(`SELECT count(*)::int AS n FROM "${schema}".baton_migrations`))[0].n,
        POSTGRES_MIGRATIONS.length,
      );
    } finally {
      await store.close();
    }
  });

  test('a schema migrated by a newer Baton is refused with STORE_SCHEMA_TOO_NEW', async () => {
    const { url, schema } = schemaForTest('new');
    const first = new PostgresStore({ url });
    await first.init();
    await first.close();
    await adminQuery(
      `INSERT INTO "${schema}".baton_migrations (version, name) VALUES (999, 'from the future')`,
    );
    const store = new PostgresStore({ url });
    try {
      await assert.rejects(
        store.init(),
        (error: unknown) =>
          error instanceof BatonError && error.code === 'STORE_SCHEMA_TOO_NEW' && !error.retryable,
      );
    } finally {
      await store.close();
    }
  });

  test('openStore selects the PostgreSQL store for postgres:// and postgresql:// URLs', async () => {
    const { url, schema } = schemaForTest('open');
    for (const variant of [url, url.replace(/^postgres:/, 'postgresql:')]) {
      const store = await openStore(variant);
      try {
        assert.equal(store.kind, 'postgres');
        assert.equal((store as PostgresStore).schema, schema);
        assert.deepEqual(await store.listRuns(), []);
      } finally {
        await store.close();
      }
    }
  });

  test('poolSize bounds the connections a store opens', async () => {
    const appName = `baton-pool-${process.pid}`;
    const { url } = schemaForTest('pool', { poolSize: '2', application_name: appName });
    const store = new PostgresStore({ url });
    try {
      await store.init();
      assert.equal(store.poolSize, 2);
      await Promise.all(
        Array.from({ length: 20 }, () => store.claimTasks({ owner: 'w', limit: 5, leaseMs: 1000 })),
      );
      const [{ n }] = await adminQuery<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [appName],
      );
      assert.ok(n >= 1 && n <= 2, `${n} connections open`);
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL connection settings', () => {
  test('schema and poolSize come from the URL and never reach the driver', () => {
    const settings = postgresSettings({
      url: 'postgres://u:secret@db.internal:6543/app?schema=tenant_a&poolSize=25&sslmode=require',
    });
    assert.equal(settings.schema, 'tenant_a');
    assert.equal(settings.poolSize, 25);
    const driverUrl = new URL(settings.connectionString);
    assert.equal(
      `${driverUrl.protocol}//${driverUrl.host}${driverUrl.pathname}`,
      'postgres://db.internal:6543/app',
    );
    assert.deepEqual(
      [...driverUrl.searchParams],
      [
        ['sslmode', 'require'],
        // Generic plans for the prepared one-statement commits (see config.ts).
        ['options', '-c plan_cache_mode=force_generic_plan'],
      ],
    );
    // A deployment's own startup options still apply, after Baton's.
    const own = postgresSettings({ url: 'postgres://localhost/app?options=-c%20plan_cache_mode%3Dauto' });
    assert.equal(
      new URL(own.connectionString).searchParams.get('options'),
      '-c plan_cache_mode=force_generic_plan -c plan_cache_mode=auto',
    );
    assert.equal(postgresSettings({ url: 'postgresql://localhost/app' }).schema, 'public');
    assert.equal(
      postgresSettings({ url: 'postgres://localhost/app?schema=a', schema: 'b', poolSize: 3 }).schema,
      'b',
    );
  });

  test('unsafe schema names, bad pool sizes and other protocols are refused with INVALID_STORE_URL', () => {
    for (const url of [
      'postgres://localhost/app?schema=x";drop table runs;--',
      'postgres://u:secret@localhost/app?schema=1abc',
      'postgres://localhost/app?poolSize=0',
      'postgres://localhost/app?poolSize=many',
      'mysql://u:secret@localhost/app',
      'not a url',
    ]) {
      assert.throws(
        () => postgresSettings({ url }),
        (error: unknown) =>
          error instanceof BatonError &&
          error.code === 'INVALID_STORE_URL' &&
          !String(error.message).includes('secret'),
        url,
      );
    }
  });
});
