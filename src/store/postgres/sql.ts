/**
 * The PostgreSQL store's statements, schema-qualified once per store. Batches go through
 * `unnest` so a commit costs one round trip per table, not one per row. Lease times are
 * the database's clock (`DB_NOW_MS`) so workers on machines with skewed clocks agree.
 */

import { leaseOnInsert, limited } from './claim-on-insert-sql.ts';
import { DB_NOW_MS, TASKS_CHANNEL } from './sql-clock.ts';

/** Wraps a data-modifying CTE `changed` that returns (run_at, queue, held) into a NOTIFY for workers. */
function notifyFrom(changed: string, schemaParam: string): string {
  return `WITH changed AS (${changed})
    SELECT pg_notify('${TASKS_CHANNEL}', json_build_object('schema', ${schemaParam}::text, 'runAt', min(run_at), 'queues', json_agg(DISTINCT queue))::text)
    FROM changed WHERE NOT held HAVING count(*) > 0`;
}

/**
 * Which of a claim's optional filters are given; parameters $4 (queues) and then kinds
 * follow the three every claim has. A claim's SQL holds only the filters given: written
 * as `($4 IS NULL OR …)` they hid the claim's shape from the generic plans the store's
 * connections use (config.ts), and PostgreSQL sorted every due task on each claim instead
 * of reading the first few from the claim-order index — 10–17 ms per claim on a backlog
 * of 2,000 tasks instead of well under one.
 */
export class ClaimFilters {
  readonly queues: boolean;
  readonly kinds: boolean;
  private constructor(queues: boolean, kinds: boolean) {
    this.queues = queues;
    this.kinds = kinds;
  }
  static readonly #all = [false, true].flatMap((q) => [false, true].map((k) => new ClaimFilters(q, k)));
  /** One shared instance per combination, so callers can cache SQL per instance. */
  static of(queues: boolean, kinds: boolean): ClaimFilters {
    return ClaimFilters.#all[(queues ? 2 : 0) + (kinds ? 1 : 0)];
  }
  /** The first parameter after the filters' own (owner, lease, limit, then the filters). */
  get firstFree(): number {
    return 4 + (this.queues ? 1 : 0) + (this.kinds ? 1 : 0);
  }
  sql(alias: string): string {
    const queue = this.queues ? `AND ${alias}.queue = ANY($4::text[])` : '';
    const kind = this.kinds ? `AND ${alias}.kind = ANY($${this.queues ? 5 : 4}::text[])` : '';
    return `${queue} ${kind}`;
  }
}

/**
 * The columns the store reads back, listed rather than `*` in statements it prepares: a
 * prepared `SELECT *` fails once a migration adds a column to its table.
 */
const DEFINITION_COLUMNS = 'hash, name, version, definition, source, created_at';
const RUN_COLUMNS = `id, workflow_name, workflow_version, workflow_hash, status, input, output, error, parent_run_id,
  idempotency_key, tenant, seq, created_at, updated_at, finished_at, usage`;

const CLAIMED_COLUMNS =
  't.id, t.run_id, t.kind, t.path, t.attempt, t.run_at, t.queue, t.priority, t.lease_token, t.lease_expires_at';

/**
 * The rows of the CTE \`claimed\`, and on one row per run that run's history as a JSON
 * array: the worker starts every claimed run by reading it, and reading it here saves
 * that round trip (once per run, however many of its tasks the claim took). Of a run the
 * worker holds (ClaimOptions.knownRuns: ids and sequence numbers in the parameters from
 * \`known\`), only the later events, or none: a wide map hands out its items one claim
 * at a time, and its whole history with each made claims quadratic in the map's width.
 */
function claimedWithHistory(s: string, known: number): string {
  return `SELECT c.id, c.run_id, c.kind, c.path, c.attempt, c.run_at, c.queue, c.priority, c.lease_token, c.lease_expires_at,
        CASE WHEN c.nth = 1 THEN (SELECT json_agg(e.body ORDER BY e.seq) FROM ${s}.events e WHERE e.run_id = c.run_id AND e.seq > c.after) END AS history,
        c.after AS history_after
      FROM (SELECT claimed.*, row_number() OVER (PARTITION BY claimed.run_id) AS nth, COALESCE(k.seq, 0) AS after
        FROM claimed LEFT JOIN unnest($${known}::text[], $${known + 1}::bigint[]) AS k(run_id, seq) ON k.run_id = claimed.run_id) c`;
}

export function statements(s: string) {
  return {
    now: `SELECT ${DB_NOW_MS} AS now`,

    saveDefinition: `INSERT INTO ${s}.definitions (hash, name, version, definition, source, created_at) VALUES ($1, $2, $3, $4::json, $5, $6)
      ON CONFLICT (hash) DO UPDATE SET ordinal = nextval('${s}.definition_ordinals')`,
    getDefinition: `SELECT ${DEFINITION_COLUMNS} FROM ${s}.definitions WHERE hash = $1`,
    latestDefinition: `SELECT ${DEFINITION_COLUMNS} FROM ${s}.definitions WHERE name = $1 ORDER BY ordinal DESC LIMIT 1`,
    latestDefinitionVersion: `SELECT ${DEFINITION_COLUMNS} FROM ${s}.definitions WHERE name = $1 AND version = $2 ORDER BY ordinal DESC LIMIT 1`,
    latestDefinitionHash: `SELECT hash FROM ${s}.definitions WHERE name = $1 ORDER BY ordinal DESC LIMIT 1`,
    latestDefinitionVersionHash: `SELECT hash FROM ${s}.definitions WHERE name = $1 AND version = $2 ORDER BY ordinal DESC LIMIT 1`,
    listDefinitions: `SELECT hash, name, version, created_at FROM ${s}.definitions ORDER BY name, ordinal`,

    insertRun: `INSERT INTO ${s}.runs (id, workflow_name, workflow_version, workflow_hash, status, input, output, error,
        parent_run_id, idempotency_key, tenant, seq, created_at, updated_at, finished_at, usage)
      VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, $14, $15, $16::jsonb)
      ON CONFLICT DO NOTHING`,
    runIdByKey: `SELECT id FROM ${s}.runs WHERE idempotency_key = $1`,
    updateRun: `UPDATE ${s}.runs SET status = $1, output = $2::jsonb, error = $3::jsonb, seq = $4, updated_at = $5,
        finished_at = $6, usage = $9::jsonb
      WHERE id = $7 AND seq = $8`,
    insertEvents: `INSERT INTO ${s}.events (run_id, seq, type, at, body)
      SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::json[])`,
    upsertSteps: `INSERT INTO ${s}.steps (run_id, path, step_id, status, attempt, input, output, error, detail, waiting_for,
        started_at, updated_at, finished_at, usage)
      SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::integer[], $6::jsonb[], $7::jsonb[], $8::jsonb[],
        $9::jsonb[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::jsonb[])
      ON CONFLICT (run_id, path) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, input = excluded.input,
        output = excluded.output, error = excluded.error, detail = excluded.detail, waiting_for = excluded.waiting_for,
        updated_at = excluded.updated_at, finished_at = excluded.finished_at, usage = excluded.usage`,
    removeSteps: `DELETE FROM ${s}.steps WHERE run_id = $1 AND path = ANY($2::text[])`,
    removeRunTasks: `DELETE FROM ${s}.tasks WHERE run_id = $1`,
    removeTasks: `DELETE FROM ${s}.tasks WHERE id = ANY($1::text[])`,
    // Claim-on-insert (leaseOnInsert) for tasks of any runs; $1 names the schema in the notice.
    insertTasks: `WITH clock AS (SELECT ${DB_NOW_MS} AS now),
      input AS (
        SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::bigint[], $8::text[],
          $9::integer[], $10::boolean[], $11::boolean[])
          WITH ORDINALITY AS i(id, run_id, kind, path, attempt, run_at, queue, priority, held, eligible, ord)
      ),
      ${leaseOnInsert(s, { runId: 'i.run_id', limit: '$12', owner: '$13', leaseMs: '$14', workflowKey: '$15', schema: '$1', choose: true, announce: true, now: 'clock' })}
      SELECT id, lease_token, lease_expires_at FROM inserted WHERE lease_owner IS NOT NULL
      UNION ALL SELECT NULL, NULL, NULL FROM notified`,
    holdTasks: notifyFrom(
      `UPDATE ${s}.tasks SET held = $2 WHERE run_id = $3 AND kind = 'step' RETURNING run_at, queue, held`,
      '$1',
    ),

    completeLease: `DELETE FROM ${s}.tasks WHERE id = $1 AND lease_owner = $2 AND lease_token = $3`,
    // FOR SHARE keeps claimers (SKIP LOCKED) and completers off the task until this commit ends.
    verifyLease: `SELECT 1 FROM ${s}.tasks WHERE id = $1 AND lease_owner = $2 AND lease_token = $3 FOR SHARE`,
    leaseHeld: `SELECT 1 FROM ${s}.tasks WHERE id = $1 AND lease_owner = $2 AND lease_token = $3`,

    loadEvents: `SELECT body FROM ${s}.events WHERE run_id = $1 AND seq > $2 ORDER BY seq`,
    getRun: `SELECT ${RUN_COLUMNS} FROM ${s}.runs WHERE id = $1`,
    runsByIds: `SELECT * FROM ${s}.runs WHERE id = ANY($1::text[])`,
    runByKey: `SELECT * FROM ${s}.runs WHERE idempotency_key = $1`,
    getSteps: `SELECT * FROM ${s}.steps WHERE run_id = $1 ORDER BY started_at, path`,
    pendingApprovals: `SELECT * FROM ${s}.steps WHERE waiting_for = 'approval' ORDER BY updated_at LIMIT $1`,
    pendingApprovalsOfRun: `SELECT * FROM ${s}.steps WHERE waiting_for = 'approval' AND run_id = $2 ORDER BY updated_at LIMIT $1`,

    // The CTE locks the chosen rows and skips rows another claimer holds, so concurrent
    // claimers never wait for each other and never take the same task. Limited step tasks
    // are left to claimLimited; a row of NULLs at the end says that limits exist.
    claimTasks: (filters: ClaimFilters) => `WITH clock AS (SELECT ${DB_NOW_MS} AS now),
      due AS (
        SELECT t.id FROM ${s}.tasks t, clock
        WHERE NOT t.held AND t.run_at <= clock.now AND (t.lease_expires_at IS NULL OR t.lease_expires_at <= clock.now)
          ${filters.sql('t')}
          AND NOT ${limited(s, 't.kind', 't.queue', `'workflow:' || (SELECT r.workflow_name FROM ${s}.runs r WHERE r.id = t.run_id)`)}
        ORDER BY t.priority DESC, t.run_at
        LIMIT $3
        FOR UPDATE OF t SKIP LOCKED
      ),
      claimed AS (
        UPDATE ${s}.tasks t SET lease_owner = $1, lease_token = t.lease_token + 1, lease_expires_at = clock.now + $2
        FROM due, clock WHERE t.id = due.id
        RETURNING ${CLAIMED_COLUMNS}
      )
      ${claimedWithHistory(s, filters.firstFree)}
      UNION ALL
      SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE EXISTS (SELECT 1 FROM ${s}.concurrency_limits)`,
    // Run by claimers one at a time (lockLimits first, in the same transaction), so the
    // counts of leased tasks per limit are exact when the new leases are taken. Tasks whose
    // queue or workflow is full are left out; of the rest, a task is chosen when its rank
    // (priority, then due time) within its queue and within its workflow fits the free room
    // of both. A task refused by one limit still holds its rank in the other, so a claim may
    // take fewer than it could (the next claim takes them), never more than a limit allows.
    lockLimits: `SELECT key FROM ${s}.concurrency_limits ORDER BY key FOR UPDATE`,
    claimLimited: (filters: ClaimFilters) => `WITH clock AS (SELECT ${DB_NOW_MS} AS now),
      limits AS (SELECT key, max_leased FROM ${s}.concurrency_limits),
      keyed AS (
        SELECT t.id, t.priority, t.run_at, t.held, t.queue, t.lease_owner, t.lease_expires_at,
          'queue:' || t.queue AS qk, 'workflow:' || r.workflow_name AS wk
        FROM ${s}.tasks t JOIN ${s}.runs r ON r.id = t.run_id
        WHERE t.kind = 'step' AND EXISTS (SELECT 1 FROM limits l WHERE l.key = 'queue:' || t.queue OR l.key = 'workflow:' || r.workflow_name)
      ),
      leased AS (SELECT k.qk, k.wk FROM keyed k, clock WHERE k.lease_owner IS NOT NULL AND k.lease_expires_at > clock.now),
      active AS (
        SELECT key, count(*) AS n FROM (SELECT qk AS key FROM leased UNION ALL SELECT wk FROM leased) a GROUP BY key
      ),
      room AS (SELECT l.key, l.max_leased - COALESCE(a.n, 0) AS free FROM limits l LEFT JOIN active a ON a.key = l.key),
      open AS (
        SELECT k.id, k.priority, k.run_at, k.qk, k.wk, qr.free AS qfree, wr.free AS wfree
        FROM keyed k CROSS JOIN clock LEFT JOIN room qr ON qr.key = k.qk LEFT JOIN room wr ON wr.key = k.wk
        WHERE NOT k.held AND k.run_at <= clock.now AND (k.lease_expires_at IS NULL OR k.lease_expires_at <= clock.now)
          ${filters.queues ? 'AND k.queue = ANY($4::text[])' : ''}
          AND (qr.free IS NULL OR qr.free > 0) AND (wr.free IS NULL OR wr.free > 0)
      ),
      ranked AS (
        SELECT o.*,
          row_number() OVER (PARTITION BY o.qk ORDER BY o.priority DESC, o.run_at, o.id) AS qn,
          row_number() OVER (PARTITION BY o.wk ORDER BY o.priority DESC, o.run_at, o.id) AS wn
        FROM open o
      ),
      chosen AS (
        SELECT id FROM ranked WHERE (qfree IS NULL OR qn <= qfree) AND (wfree IS NULL OR wn <= wfree)
        ORDER BY priority DESC, run_at LIMIT $3
      ),
      locked AS (
        SELECT t.id FROM ${s}.tasks t, clock
        WHERE t.id IN (SELECT id FROM chosen) AND NOT t.held AND (t.lease_expires_at IS NULL OR t.lease_expires_at <= clock.now)
        FOR UPDATE OF t SKIP LOCKED
      ),
      claimed AS (
        UPDATE ${s}.tasks t SET lease_owner = $1, lease_token = t.lease_token + 1, lease_expires_at = clock.now + $2
        FROM locked, clock WHERE t.id = locked.id
        RETURNING ${CLAIMED_COLUMNS}
      )
      ${claimedWithHistory(s, filters.firstFree)}`,
    // Leases still held are read from the snapshot (a lease a commit is completing right now is
    // not lost), but only extended where the row is free: renewing never waits on a commit.
    renewLeases: `WITH leases AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS l(id, owner, token)),
      held AS (SELECT t.id, t.lease_owner AS owner, t.lease_token AS token FROM ${s}.tasks t
        JOIN leases l ON t.id = l.id AND t.lease_owner = l.owner AND t.lease_token = l.token),
      renewed AS (
        UPDATE ${s}.tasks SET lease_expires_at = ${DB_NOW_MS} + $4
        WHERE id IN (SELECT t.id FROM ${s}.tasks t JOIN leases l ON t.id = l.id AND t.lease_owner = l.owner AND t.lease_token = l.token
          FOR UPDATE OF t SKIP LOCKED)
        RETURNING id, lease_owner AS owner, lease_token AS token
      )
      SELECT id, owner, token FROM held UNION SELECT id, owner, token FROM renewed`,
    releaseTask: notifyFrom(
      `UPDATE ${s}.tasks SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $2 AND lease_owner = $3 AND lease_token = $4
        RETURNING run_at, queue, held`,
      '$1',
    ),
    nextWakeup: `SELECT min(GREATEST(run_at, COALESCE(lease_expires_at, run_at))) AS next FROM ${s}.tasks WHERE NOT held`,
    getTask: `SELECT * FROM ${s}.tasks WHERE id = $1`,

    setLimit: `INSERT INTO ${s}.concurrency_limits (key, max_leased) VALUES ($1, $2)
      ON CONFLICT (key) DO UPDATE SET max_leased = excluded.max_leased`,
    removeLimit: `DELETE FROM ${s}.concurrency_limits WHERE key = $1`,
    listLimits: `SELECT key, max_leased FROM ${s}.concurrency_limits ORDER BY key`,

    recordRejectedCommit: `INSERT INTO ${s}.rejected_commits (task_id, owner, token, run_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6)`,
    listRejectedCommits: `SELECT * FROM ${s}.rejected_commits ORDER BY id`,
    listRejectedCommitsOfRun: `SELECT * FROM ${s}.rejected_commits WHERE run_id = $1 ORDER BY id`,
  };
}

export type Statements = ReturnType<typeof statements>;
