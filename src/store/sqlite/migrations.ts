/** Numbered schema migrations of the SQLite store; applied in order inside one transaction each. */
export const SQLITE_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE definitions (
  hash TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  definition TEXT NOT NULL,
  source TEXT,
  created_at INTEGER NOT NULL,
  ordinal INTEGER NOT NULL
);
CREATE INDEX definitions_by_name ON definitions (name, ordinal);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  ordinal INTEGER NOT NULL,
  workflow_name TEXT NOT NULL,
  workflow_version TEXT NOT NULL,
  workflow_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  parent_run_id TEXT,
  idempotency_key TEXT UNIQUE,
  tenant TEXT,
  seq INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX runs_by_ordinal ON runs (ordinal);
CREATE INDEX runs_by_status ON runs (status, ordinal);
CREATE INDEX runs_by_workflow ON runs (workflow_name, ordinal);
CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

CREATE TABLE events (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE steps (
  run_id TEXT NOT NULL,
  path TEXT NOT NULL,
  step_id TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  input TEXT,
  output TEXT,
  error TEXT,
  detail TEXT,
  waiting_for TEXT,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (run_id, path)
) WITHOUT ROWID;
CREATE INDEX steps_waiting ON steps (waiting_for) WHERE waiting_for IS NOT NULL;

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  queue TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  held INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_token INTEGER NOT NULL DEFAULT 0,
  lease_expires_at INTEGER
);
CREATE INDEX tasks_due ON tasks (held, run_at);
CREATE INDEX tasks_by_run ON tasks (run_id);

CREATE TABLE rejected_commits (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL,
  owner TEXT NOT NULL,
  token INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL
);
`,
  },
  {
    // History rows in append order (a rowid table) instead of clustered by run: a group
    // commit then appends every run's events to the same few pages, where the clustered
    // table dirtied (and wrote to the WAL) one page per run per commit. The unique index
    // keeps lookups by run and the one-event-per-sequence-number guarantee.
    version: 2,
    sql: `
CREATE TABLE events_appended (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL
);
INSERT INTO events_appended (run_id, seq, type, at, body) SELECT run_id, seq, type, at, body FROM events ORDER BY at, run_id, seq;
DROP TABLE events;
ALTER TABLE events_appended RENAME TO events;
CREATE UNIQUE INDEX events_by_run ON events (run_id, seq);
`,
  },
  {
    // Cluster-wide caps on leased step tasks per queue or workflow (Store.setConcurrencyLimit).
    version: 3,
    sql: `
CREATE TABLE concurrency_limits (
  key TEXT PRIMARY KEY,
  max_leased INTEGER NOT NULL CHECK (max_leased >= 1)
);
`,
  },
  {
    // Metered consumption (LLM tokens and cost) summed per run and per step.
    version: 4,
    sql: `
ALTER TABLE runs ADD COLUMN usage TEXT;
ALTER TABLE steps ADD COLUMN usage TEXT;
`,
  },
  {
    // LLM response cache (opt-in per agent step): content-addressed answers with an expiry.
    version: 5,
    sql: `
CREATE TABLE llm_cache (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX llm_cache_expiry ON llm_cache (expires_at);
`,
  },
  {
    // History without an index keyed by run: each event points at its run's previous one
    // and the run row at its last, so reading a history walks back from the run row. The
    // unique index dirtied one page per run per group commit — a third of the WAL written
    // per step. Sequence numbers stay whole through the run's guarded sequence number.
    version: 6,
    sql: `
ALTER TABLE events ADD COLUMN prev INTEGER;
ALTER TABLE runs ADD COLUMN last_event INTEGER;
UPDATE events SET prev = (SELECT p.id FROM events p WHERE p.run_id = events.run_id AND p.seq = events.seq - 1);
UPDATE runs SET last_event = (SELECT e.id FROM events e WHERE e.run_id = runs.id AND e.seq = runs.seq);
DROP INDEX events_by_run;
`,
  },
];
