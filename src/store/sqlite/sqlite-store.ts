/**
 * The embedded store: one SQLite file in WAL mode through `node:sqlite`. Statements are
 * synchronous, so a commit is one uninterrupted BEGIN IMMEDIATE … COMMIT; several
 * processes may share the file (busy_timeout serialises writers).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { RunEvent } from '../../core/events.ts';
import type { RunRow, StepRow } from '../../core/projection.ts';
import { BatonError, type JsonValue } from '../../errors.ts';
import { type Clock, systemClock } from '../../util/clock.ts';
import { checkConcurrencyLimit } from '../limits.ts';
import { eventFromRow, runFromRow, stepFromRow, taskFromRow } from '../sql-rows.ts';
import type {
  ClaimedTask,
  ClaimOptions,
  CommitRequest,
  CommitResult,
  ConcurrencyLimit,
  DefinitionSummary,
  Lease,
  PendingApproval,
  RejectedCommit,
  RunFilter,
  Store,
  StoredDefinition,
  UsageGroup,
  UsageQuery,
} from '../types.ts';
import { CommitWriter } from './commit-writer.ts';
import { claimLimited, readLimits, UNLIMITED_ONLY, withoutLimitedClaim } from './limits.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { getCached, pruneCached, putCached, sqliteUsageSummary } from './usage-cache.ts';

type Row = Record<string, unknown>;

const DEFINITION_CACHE_LIMIT = 256;

/** A commit waiting for the next batch transaction. */
interface PendingCommit {
  request: CommitRequest;
  resolve(result: CommitResult): void;
  reject(error: unknown): void;
}

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  clock?: Clock;
  busyTimeoutMs?: number;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  readonly #statements = new Map<string, StatementSync>();
  readonly #writer: CommitWriter;
  readonly #definitions = new Map<string, StoredDefinition>();
  #pending: PendingCommit[] = [];

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.#clock = options.clock ?? systemClock;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 10_000 });
    // A checkpoint (copy the WAL into the database, two fsyncs) every 10,000 pages instead of
    // SQLite's 1,000: pages rewritten by consecutive commits are copied once, and the
    // fsync pauses come ten times less often. The WAL file grows to about 40 MB.
    this.#db.exec(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 10000;',
    );
    this.#writer = new CommitWriter(this.#db);
  }

  #sql(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async init(): Promise<void> {
    this.#transaction(() => {
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
      );
      const applied = new Set(
        (this.#db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((row) =>
          Number(row.version),
        ),
      );
      for (const migration of SQLITE_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        this.#db.exec(migration.sql);
        this.#db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(migration.version, this.#clock.now());
      }
    });
  }

  async close(): Promise<void> {
    this.#flush();
    if (this.#db.isOpen) this.#db.close();
  }

  async now(): Promise<number> {
    return this.#clock.now();
  }

  async saveDefinition(definition: StoredDefinition): Promise<void> {
    this.#transaction(() => {
      const next = Number(
        (this.#sql('SELECT COALESCE(MAX(ordinal), 0) + 1 AS next FROM definitions').get() as Row).next,
      );
      this.#sql(
        `INSERT INTO definitions (hash, name, version, definition, source, created_at, ordinal) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO UPDATE SET ordinal = excluded.ordinal`,
      ).run(
        definition.hash,
        definition.name,
        definition.version,
        JSON.stringify(definition.definition),
        definition.source ?? null,
        definition.createdAt,
        next,
      );
    });
  }

  async getDefinition(hash: string): Promise<StoredDefinition | undefined> {
    return this.#definitionByHash(hash);
  }

  /**
   * Definitions never change under their hash, so parsed ones are kept: starting a run by
   * name then costs an index lookup of the hash, not a parse of the whole definition.
   */
  #definitionByHash(hash: string): StoredDefinition | undefined {
    const cached = this.#definitions.get(hash);
    if (cached) return cached;
    const row = this.#sql('SELECT * FROM definitions WHERE hash = ?').get(hash) as Row | undefined;
    if (!row) return undefined;
    const definition = definitionFromRow(row);
    if (this.#definitions.size >= DEFINITION_CACHE_LIMIT) this.#definitions.clear();
    this.#definitions.set(hash, definition);
    return definition;
  }

  async latestDefinition(name: string, version?: string): Promise<StoredDefinition | undefined> {
    const row = (
      version === undefined
        ? this.#sql('SELECT hash FROM definitions WHERE name = ? ORDER BY ordinal DESC LIMIT 1').get(name)
        : this.#sql(
            'SELECT hash FROM definitions WHERE name = ? AND version = ? ORDER BY ordinal DESC LIMIT 1',
          ).get(name, version)
    ) as Row | undefined;
    return row ? this.#definitionByHash(String(row.hash)) : undefined;
  }

  async listDefinitions(): Promise<DefinitionSummary[]> {
    return (
      this.#sql(
        'SELECT hash, name, version, created_at FROM definitions ORDER BY name, ordinal',
      ).all() as Row[]
    ).map((row) => ({
      hash: String(row.hash),
      name: String(row.name),
      version: String(row.version),
      createdAt: Number(row.created_at),
    }));
  }

  /**
   * Group commit: requests made in the same turn of the event loop are applied in one
   * transaction (one WAL append instead of one per request) and each promise resolves
   * after COMMIT. Every request stays all-or-nothing on its own (see CommitWriter): a
   * stale lease or a conflict in one leaves the others' writes in place.
   */
  commit(original: CommitRequest): Promise<CommitResult> {
    const request = this.#db.isOpen ? withoutLimitedClaim((text) => this.#sql(text), original) : original;
    return new Promise((resolve, reject) => {
      this.#pending.push({ request, resolve, reject });
      if (this.#pending.length === 1) setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    if (!this.#db.isOpen) {
      for (const item of batch)
        item.reject(new BatonError('STORE_CLOSED', `the SQLite store ${this.path} is closed`));
      return;
    }
    const now = this.#clock.now();
    const run = (items: readonly PendingCommit[]) =>
      this.#transaction(() => {
        this.#writer.startBatch();
        return items.map((item) => this.#writer.apply(item.request, now));
      });
    let results: CommitResult[];
    try {
      results = run(batch);
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // Something unexpected failed and took the whole batch with it: retry each request
      // alone so that one bad request cannot lose the others' writes.
      for (const item of batch) {
        try {
          item.resolve(run([item])[0]);
        } catch (single) {
          item.reject(single);
        }
      }
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
  };

  async loadEvents(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    return (
      this.#sql('SELECT body FROM events WHERE run_id = ? AND seq > ? ORDER BY seq').all(
        runId,
        afterSeq,
      ) as Row[]
    ).map(eventFromRow);
  }

  async getRun(runId: string): Promise<RunRow | undefined> {
    const row = this.#sql('SELECT * FROM runs WHERE id = ?').get(runId) as Row | undefined;
    return row ? runFromRow(row) : undefined;
  }

  async findRunByIdempotencyKey(key: string): Promise<RunRow | undefined> {
    const row = this.#sql('SELECT * FROM runs WHERE idempotency_key = ?').get(key) as Row | undefined;
    return row ? runFromRow(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRow[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.status?.length) {
      where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
      params.push(...filter.status);
    }
    if (filter.workflow !== undefined) {
      where.push('workflow_name = ?');
      params.push(filter.workflow);
    }
    if (filter.parentRunId !== undefined) {
      where.push('parent_run_id = ?');
      params.push(filter.parentRunId);
    }
    if (filter.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(filter.tenant);
    }
    if (filter.before !== undefined) {
      where.push('ordinal < (SELECT ordinal FROM runs WHERE id = ?)');
      params.push(filter.before);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ordinal DESC LIMIT ?`;
    params.push(filter.limit ?? 50);
    return (this.#db.prepare(sql).all(...params) as Row[]).map(runFromRow);
  }

  async getSteps(runId: string): Promise<StepRow[]> {
    return (
      this.#sql('SELECT * FROM steps WHERE run_id = ? ORDER BY started_at, path').all(runId) as Row[]
    ).map(stepFromRow);
  }

  async listPendingApprovals(filter: { runId?: string; limit?: number } = {}): Promise<PendingApproval[]> {
    const rows = (
      filter.runId === undefined
        ? this.#sql("SELECT * FROM steps WHERE waiting_for = 'approval' ORDER BY updated_at LIMIT ?").all(
            filter.limit ?? 100,
          )
        : this.#sql(
            "SELECT * FROM steps WHERE waiting_for = 'approval' AND run_id = ? ORDER BY updated_at LIMIT ?",
          ).all(filter.runId, filter.limit ?? 100)
    ) as Row[];
    const approvals: PendingApproval[] = [];
    for (const row of rows) {
      const run = await this.getRun(String(row.run_id));
      if (run) approvals.push({ run, step: stepFromRow(row) });
    }
    return approvals;
  }

  async claimTasks(options: ClaimOptions): Promise<ClaimedTask[]> {
    const now = this.#clock.now();
    return this.#transaction(() => this.#claim(options, now));
  }

  #claim(options: ClaimOptions, now: number): ClaimedTask[] {
    const filters: string[] = [];
    const params: (string | number)[] = [options.owner, now + options.leaseMs, now, now];
    if (options.queues?.length) {
      filters.push(`AND queue IN (${options.queues.map(() => '?').join(', ')})`);
      params.push(...options.queues);
    }
    if (options.kinds?.length) {
      filters.push(`AND kind IN (${options.kinds.map(() => '?').join(', ')})`);
      params.push(...options.kinds);
    }
    const claim = (unlimitedOnly: boolean, limit: number) =>
      this.#sql(`UPDATE tasks SET lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ?
      WHERE id IN (SELECT id FROM tasks WHERE held = 0 AND run_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
        ${filters.join(' ')} ${unlimitedOnly ? UNLIMITED_ONLY : ''} ORDER BY priority DESC, run_at LIMIT ?)
      RETURNING *`).all(...params, limit) as Row[];
    const rows = (() => {
      const limits = readLimits((text) => this.#sql(text));
      if (limits.size === 0) return claim(false, options.limit);
      const limited = claimLimited((text) => this.#sql(text), options, now, limits);
      return limited.length < options.limit
        ? [...limited, ...claim(true, options.limit - limited.length)]
        : limited;
    })();
    return rows.map((row) => ({
      ...taskFromRow(row),
      owner: options.owner,
      token: Number(row.lease_token),
      leaseExpiresAt: Number(row.lease_expires_at),
    }));
  }

  async renewLeases(leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    const lost: string[] = [];
    const expires = this.#clock.now() + leaseMs;
    this.#transaction(() => {
      const statement = this.#sql(
        'UPDATE tasks SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND lease_token = ?',
      );
      for (const lease of leases) {
        if (Number(statement.run(expires, lease.taskId, lease.owner, lease.token).changes) === 0)
          lost.push(lease.taskId);
      }
    });
    return lost;
  }

  async releaseTask(lease: Lease): Promise<void> {
    this.#sql(
      'UPDATE tasks SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ? AND lease_token = ?',
    ).run(lease.taskId, lease.owner, lease.token);
  }

  async nextWakeup(): Promise<number | undefined> {
    const row = this.#sql(
      'SELECT MIN(CASE WHEN lease_expires_at IS NULL OR lease_expires_at < run_at THEN run_at ELSE lease_expires_at END) AS next FROM tasks WHERE held = 0',
    ).get() as Row;
    return row.next === null || row.next === undefined ? undefined : Number(row.next);
  }

  async getTask(taskId: string) {
    const row = this.#sql('SELECT * FROM tasks WHERE id = ?').get(taskId) as Row | undefined;
    if (!row) return undefined;
    return {
      ...taskFromRow(row),
      owner: row.lease_owner === null ? undefined : String(row.lease_owner),
      token: Number(row.lease_token),
      held: Number(row.held) === 1,
    };
  }

  async setConcurrencyLimit(key: string, limit: number | undefined): Promise<void> {
    checkConcurrencyLimit(key, limit);
    if (limit === undefined) this.#sql('DELETE FROM concurrency_limits WHERE key = ?').run(key);
    else
      this.#sql(
        'INSERT INTO concurrency_limits (key, max_leased) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET max_leased = excluded.max_leased',
      ).run(key, limit);
  }

  async listConcurrencyLimits(): Promise<ConcurrencyLimit[]> {
    return (this.#sql('SELECT key, max_leased FROM concurrency_limits ORDER BY key').all() as Row[]).map(
      (row) => ({ key: String(row.key), limit: Number(row.max_leased) }),
    );
  }

  async usageSummary(query: UsageQuery): Promise<UsageGroup[]> {
    return sqliteUsageSummary(this.#db, query);
  }

  async getCachedResponse(key: string): Promise<JsonValue | undefined> {
    return getCached((text) => this.#sql(text), key, this.#clock.now());
  }

  async putCachedResponse(key: string, value: JsonValue, ttlMs: number): Promise<void> {
    putCached((text) => this.#sql(text), key, value, ttlMs, this.#clock.now());
  }

  async pruneResponseCache(): Promise<number> {
    return pruneCached((text) => this.#sql(text), this.#clock.now());
  }

  async recordRejectedCommit(rejection: RejectedCommit): Promise<void> {
    this.#sql(
      'INSERT INTO rejected_commits (task_id, owner, token, run_id, reason, at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      rejection.taskId,
      rejection.owner,
      rejection.token,
      rejection.runId,
      rejection.reason,
      rejection.at,
    );
  }

  async listRejectedCommits(runId?: string): Promise<RejectedCommit[]> {
    const rows = (
      runId === undefined
        ? this.#sql('SELECT * FROM rejected_commits ORDER BY id').all()
        : this.#sql('SELECT * FROM rejected_commits WHERE run_id = ? ORDER BY id').all(runId)
    ) as Row[];
    return rows.map((row) => ({
      taskId: String(row.task_id),
      owner: String(row.owner),
      token: Number(row.token),
      runId: String(row.run_id),
      reason: String(row.reason),
      at: Number(row.at),
    }));
  }
}

function definitionFromRow(row: Row): StoredDefinition {
  return {
    hash: String(row.hash),
    name: String(row.name),
    version: String(row.version),
    definition: JSON.parse(String(row.definition)),
    source: row.source === null ? undefined : String(row.source),
    createdAt: Number(row.created_at),
  };
}
