/**
 * The embedded store: one SQLite file in WAL mode through `node:sqlite`. Reads run on this
 * thread's connection; writes go through WritePath (write-path.ts), which groups commits
 * and, under heavy load, hands them to a writer thread. A commit is one uninterrupted
 * BEGIN IMMEDIATE … COMMIT; several processes may share the file (busy_timeout serialises
 * writers).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { RunEvent } from '../../core/events.ts';
import type { RunRow, StepRow } from '../../core/projection.ts';
import type { JsonValue } from '../../errors.ts';
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
import { newestDefinitionHash } from './newest-definition.ts';
import { getCached, sqliteUsageSummary } from './usage-cache.ts';
import { WritePath } from './write-path.ts';
import { CONNECTION_PRAGMAS, SqliteWriter } from './writer.ts';

type Row = Record<string, unknown>;

const DEFINITION_CACHE_LIMIT = 256;
/**
 * A run's events after a sequence number, read by walking back from the run's last event
 * (events carry no index by run: see migration 6). Parameters: run id, after, after.
 */
const HISTORY = `WITH RECURSIVE chain (seq, prev, body) AS (
    SELECT e.seq, e.prev, e.body FROM runs r JOIN events e ON e.id = r.last_event WHERE r.id = ?
    UNION ALL
    SELECT e.seq, e.prev, e.body FROM chain c JOIN events e ON e.id = c.prev WHERE c.seq > ? + 1
  )
  SELECT body FROM chain WHERE seq > ? ORDER BY seq`;

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  clock?: Clock;
  busyTimeoutMs?: number;
  /**
   * Whether writes may move to a writer thread (file databases only; see write-path.ts):
   * 'never' (the default: on the 2-core benchmark machine the thread cost more CPU per step
   * than it overlapped, see docs/benchmarks.md), 'auto' (under heavy load), 'always'.
   */
  writerThread?: 'auto' | 'always' | 'never';
  /** How long an idle writer thread lives (ms) in 'auto' mode. */
  writerThreadIdleMs?: number;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  readonly #statements = new Map<string, StatementSync>();
  readonly #writer: WritePath;
  readonly #definitions = new Map<string, StoredDefinition>();

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.#clock = options.clock ?? systemClock;
    const inMemory = options.path === ':memory:';
    if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
    const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.#db = new DatabaseSync(options.path, { timeout: busyTimeoutMs });
    this.#db.exec(CONNECTION_PRAGMAS);
    const mode = options.writerThread ?? 'never';
    this.#writer = new WritePath({
      db: this.#db,
      clock: this.#clock,
      threadPath: inMemory || mode === 'never' ? undefined : options.path,
      thread: mode === 'always' ? 'always' : 'auto',
      threadIdleMs: options.writerThreadIdleMs,
      busyTimeoutMs,
    });
  }

  #sql(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  /** Migrates on this thread's connection: the schema must be there before the first read. */
  async init(): Promise<void> {
    new SqliteWriter(this.#db).migrate(this.#clock.now());
  }

  /** Commits what was already requested, then closes both connections. */
  async close(): Promise<void> {
    await this.#writer.close();
    if (this.#db.isOpen) this.#db.close();
  }

  /** Whether writes currently go to a writer thread (see write-path.ts). */
  get writesOnThread(): boolean {
    return this.#writer.onThread;
  }

  async now(): Promise<number> {
    return this.#clock.now();
  }

  async saveDefinition(definition: StoredDefinition): Promise<void> {
    await this.#writer.call('saveDefinition', definition);
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
    const hash = newestDefinitionHash((text) => this.#sql(text), name, version);
    return hash === undefined ? undefined : this.#definitionByHash(hash);
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

  /** Group commit, possibly on a writer thread: see write-path.ts. */
  commit(request: CommitRequest): Promise<CommitResult> {
    return this.#writer.commit(request);
  }

  async loadEvents(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    return (this.#sql(HISTORY).all(runId, afterSeq, afterSeq) as Row[]).map(eventFromRow);
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

  claimTasks(options: ClaimOptions): Promise<ClaimedTask[]> {
    return this.#writer.call('claim', options, this.#clock.now());
  }

  renewLeases(leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    return this.#writer.call('renew', leases, this.#clock.now() + leaseMs);
  }

  releaseTask(lease: Lease): Promise<void> {
    return this.#writer.call('release', lease);
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
    await this.#writer.call('setConcurrencyLimit', key, limit ?? null);
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

  putCachedResponse(key: string, value: JsonValue, ttlMs: number): Promise<void> {
    return this.#writer.call('putCached', key, value, ttlMs, this.#clock.now());
  }

  pruneResponseCache(): Promise<number> {
    return this.#writer.call('pruneCached', this.#clock.now());
  }

  recordRejectedCommit(rejection: RejectedCommit): Promise<void> {
    return this.#writer.call('recordRejectedCommit', rejection);
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
