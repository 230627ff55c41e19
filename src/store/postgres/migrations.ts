/**
 * Numbered schema migrations of the PostgreSQL store, recorded in `baton_migrations`.
 * All pending migrations run in one transaction under a transaction-scoped advisory lock
 * keyed by the schema, so processes starting together wait for the first one and then
 * find nothing left to do; DDL is transactional, so a failed migration leaves no trace.
 *
 * History and definitions are `json` (the exact text: key order and every value survive,
 * so a replay reads precisely what was decided); projections are `jsonb`.
 */
import type { ClientBase } from 'pg';
import { BatonError } from '../../errors.ts';
import { quoteSchema } from './config.ts';

export interface PostgresMigration {
  version: number;
  name: string;
  /** SQL for the schema `s` (already quoted). */
  sql: (s: string) => string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: (s) => `
CREATE SEQUENCE ${s}.definition_ordinals;
CREATE TABLE ${s}.definitions (
  hash text PRIMARY KEY,
  name text NOT NULL,
  version text NOT NULL,
  definition json NOT NULL,
  source text,
  created_at bigint NOT NULL,
  ordinal bigint NOT NULL DEFAULT nextval('${s}.definition_ordinals')
);
CREATE INDEX definitions_by_name ON ${s}.definitions (name, ordinal);

CREATE TABLE ${s}.runs (
  id text PRIMARY KEY,
  ordinal bigserial NOT NULL UNIQUE,
  workflow_name text NOT NULL,
  workflow_version text NOT NULL,
  workflow_hash text NOT NULL,
  status text NOT NULL,
  input jsonb NOT NULL,
  output jsonb,
  error jsonb,
  parent_run_id text,
  idempotency_key text UNIQUE,
  tenant text,
  seq bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  finished_at bigint
);
CREATE INDEX runs_by_status ON ${s}.runs (status, ordinal);
CREATE INDEX runs_by_workflow ON ${s}.runs (workflow_name, ordinal);
CREATE INDEX runs_by_tenant ON ${s}.runs (tenant, ordinal) WHERE tenant IS NOT NULL;
CREATE INDEX runs_by_parent ON ${s}.runs (parent_run_id, ordinal) WHERE parent_run_id IS NOT NULL;

CREATE TABLE ${s}.events (
  run_id text NOT NULL,
  seq bigint NOT NULL,
  type text NOT NULL,
  at bigint NOT NULL,
  body json NOT NULL,
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE ${s}.steps (
  run_id text NOT NULL,
  path text NOT NULL,
  step_id text NOT NULL,
  status text NOT NULL,
  attempt integer NOT NULL,
  input jsonb,
  output jsonb,
  error jsonb,
  detail jsonb,
  waiting_for text,
  started_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  finished_at bigint,
  PRIMARY KEY (run_id, path)
);
CREATE INDEX steps_waiting ON ${s}.steps (waiting_for, updated_at) WHERE waiting_for IS NOT NULL;

CREATE TABLE ${s}.tasks (
  id text PRIMARY KEY,
  run_id text NOT NULL,
  kind text NOT NULL,
  path text NOT NULL,
  attempt integer NOT NULL,
  run_at bigint NOT NULL,
  queue text NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  held boolean NOT NULL DEFAULT false,
  lease_owner text,
  lease_token bigint NOT NULL DEFAULT 0,
  lease_expires_at bigint
);
CREATE INDEX tasks_claimable ON ${s}.tasks (priority DESC, run_at) WHERE NOT held;
CREATE INDEX tasks_by_run ON ${s}.tasks (run_id);

CREATE TABLE ${s}.rejected_commits (
  id bigserial PRIMARY KEY,
  task_id text NOT NULL,
  owner text NOT NULL,
  token bigint NOT NULL,
  run_id text NOT NULL,
  reason text NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX rejected_commits_by_run ON ${s}.rejected_commits (run_id, id);
`,
  },
  {
    version: 2,
    name: 'metered usage on runs and steps',
    sql: (s) => `
ALTER TABLE ${s}.runs ADD COLUMN usage jsonb;
ALTER TABLE ${s}.steps ADD COLUMN usage jsonb;
`,
  },
  {
    version: 3,
    name: 'cluster-wide concurrency limits',
    sql: (s) => `
CREATE TABLE ${s}.concurrency_limits (
  key text PRIMARY KEY,
  max_leased integer NOT NULL CHECK (max_leased >= 1)
);
`,
  },
  {
    version: 4,
    name: 'LLM response cache',
    sql: (s) => `
CREATE TABLE ${s}.llm_cache (
  key text PRIMARY KEY,
  value json NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX llm_cache_expiry ON ${s}.llm_cache (expires_at);
`,
  },
  {
    // A step row is written twice (scheduled, then finished), and each update carried a new
    // updated_at into the waiting-steps index, so none could be a HOT update (one that adds
    // no index entries): every step result wrote a new primary-key entry as well. The index
    // now holds only what finds waiting steps; free room per page lets updates stay on it.
    version: 5,
    name: 'step and run updates without new index entries',
    sql: (s) => `
DROP INDEX ${s}.steps_waiting;
CREATE INDEX steps_waiting ON ${s}.steps (waiting_for) WHERE waiting_for IS NOT NULL;
ALTER TABLE ${s}.steps SET (fillfactor = 80);
ALTER TABLE ${s}.runs SET (fillfactor = 80);
`,
  },
];

/** Brings `schema` up to date; `client` must not be inside a transaction. Returns the versions applied. */
export async function migrate(
  client: ClientBase,
  schema: string,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const s = quoteSchema(schema);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('baton:migrate'), hashtext($1))", [schema]);
    // Checked first so that a role without CREATE on the database can use a schema made for it.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.baton_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query(`SELECT version FROM ${s}.baton_migrations`)).rows.map((row: { version: number }) =>
        Number(row.version),
      ),
    );
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const ahead = [...done].filter((version) => version > newest);
    if (ahead.length > 0) {
      throw new BatonError(
        'STORE_SCHEMA_TOO_NEW',
        `PostgreSQL schema "${schema}" has migration ${Math.max(...ahead)} but this Baton knows migrations up to ${newest}; upgrade Baton`,
        { details: { schema, applied: Math.max(...ahead), known: newest } },
      );
    }
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql(s));
      await client.query(`INSERT INTO ${s}.baton_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
