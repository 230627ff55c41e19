/**
 * The scale-out store: many worker and API processes share one PostgreSQL database through
 * a connection pool. Same contract as the SQLite store; leases are measured on the
 * database's clock, claims use FOR UPDATE SKIP LOCKED, and commits that enqueue work
 * NOTIFY `baton_tasks` so idle workers wake without polling.
 */
import type { QueryResultRow } from 'pg';
import type { RunEvent } from '../../core/events.ts';
import type { RunRow, StepRow } from '../../core/projection.ts';
import { TERMINAL_RUN_STATUSES } from '../../core/state-types.ts';
import type { JsonValue } from '../../errors.ts';
import { checkConcurrencyLimit } from '../limits.ts';
import { definitionFromRow, eventFromRow, runFromRow, stepFromRow, taskFromRow } from '../sql-rows.ts';
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
  TasksAvailable,
  UsageGroup,
  UsageQuery,
} from '../types.ts';
import { usageGroups } from '../usage-summary.ts';
import { Claims } from './claims.ts';
import { commitTransaction } from './commit.ts';
import { commitOneStatement, OneStatementCommits, oneStatementKind } from './commit-one-statement.ts';
import { type PostgresSettings, type PostgresStoreOptions, postgresSettings, quoteSchema } from './config.ts';
import { storeError } from './errors.ts';
import { TaskListener } from './listener.ts';
import { migrate } from './migrations.ts';
import { clientConfig, StorePool } from './pool.ts';
import { type Statements, statements } from './sql.ts';
import { RUNS_CHANNEL, TASKS_CHANNEL } from './sql-clock.ts';
import { cacheStatements, usageSummarySql } from './usage-cache.ts';

type Row = Record<string, unknown>;

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly schema: string;
  readonly #settings: PostgresSettings;
  readonly #pool: StorePool;
  readonly #sql: Statements;
  readonly #oneStatement: OneStatementCommits;
  readonly #cacheSql: ReturnType<typeof cacheStatements>;
  readonly #listener: TaskListener;
  #initialized?: Promise<void>;
  #closed = false;
  readonly #claims: Claims;

  constructor(options: PostgresStoreOptions) {
    this.#settings = postgresSettings(options);
    this.schema = this.#settings.schema;
    const onBackgroundError = options.onBackgroundError ?? (() => undefined);
    this.#pool = new StorePool(this.#settings, onBackgroundError);
    this.#sql = statements(quoteSchema(this.schema));
    this.#oneStatement = new OneStatementCommits(quoteSchema(this.schema));
    this.#claims = new Claims(this.#pool, this.#sql);
    this.#cacheSql = cacheStatements(quoteSchema(this.schema));
    this.#listener = new TaskListener(clientConfig(this.#settings), this.schema, (error) =>
      onBackgroundError(storeError(error, 'listening for tasks')),
    );
  }

  get poolSize(): number {
    return this.#settings.poolSize;
  }

  async init(): Promise<void> {
    this.#initialized ??= this.#pool
      .withClient('init', async (client) => {
        await migrate(client, this.schema);
      })
      .catch((error) => {
        this.#initialized = undefined;
        throw error;
      });
    return this.#initialized;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#listener.close();
    await this.#pool.end();
  }

  async now(): Promise<number> {
    return Number((await this.#read('now', this.#sql.now)).rows[0].now);
  }

  #query<R extends QueryResultRow = Row>(operation: string, text: string, params: unknown[] = []) {
    return this.#pool.query<R>(operation, text, params);
  }

  /** A statement without side effects (retried on a fresh connection when its own was dead; see StorePool.read). */
  #read<R extends QueryResultRow = Row>(
    operation: string,
    text: string,
    params: unknown[] = [],
    name?: string,
  ) {
    return this.#pool.read<R>(operation, text, params, name);
  }

  async saveDefinition(definition: StoredDefinition): Promise<void> {
    await this.#query('saveDefinition', this.#sql.saveDefinition, [
      definition.hash,
      definition.name,
      definition.version,
      JSON.stringify(definition.definition),
      definition.source ?? null,
      definition.createdAt,
    ]);
  }

  async getDefinition(hash: string): Promise<StoredDefinition | undefined> {
    const row = (await this.#read('getDefinition', this.#sql.getDefinition, [hash], 'baton_get_definition_1'))
      .rows[0];
    return row ? definitionFromRow(row) : undefined;
  }

  async latestDefinition(name: string, version?: string): Promise<StoredDefinition | undefined> {
    const result =
      version === undefined
        ? await this.#read(
            'latestDefinition',
            this.#sql.latestDefinition,
            [name],
            'baton_latest_definition_1',
          )
        : await this.#read(
            'latestDefinition',
            this.#sql.latestDefinitionVersion,
            [name, version],
            'baton_latest_definition_version_1',
          );
    return result.rows[0] ? definitionFromRow(result.rows[0]) : undefined;
  }

  async listDefinitions(): Promise<DefinitionSummary[]> {
    return (await this.#read('listDefinitions', this.#sql.listDefinitions)).rows.map((row) => ({
      hash: String(row.hash),
      name: String(row.name),
      version: String(row.version),
      createdAt: Number(row.created_at),
    }));
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    if (request.writes.length === 0 && !request.complete && !request.verify) return { ok: true };
    const result = await this.#commit(request);
    if (result.ok) this.#announceOutcomes(request);
    return result;
  }

  /** Tells processes waiting on runs this commit finished (Store.onRunsFinished); see #notify. */
  #announceOutcomes(request: CommitRequest): void {
    const runs = request.writes.filter((write) => TERMINAL_RUN_STATUSES.has(write.run.status));
    if (runs.length === 0) return;
    this.#notify(
      RUNS_CHANNEL,
      JSON.stringify({ schema: this.schema, runs: runs.map((write) => write.runId) }),
    );
  }

  async #commit(request: CommitRequest): Promise<CommitResult> {
    return this.#pool.withClient('commit', async (client) => {
      // The common case in one round trip; when it writes nothing, the transaction path
      // (which re-checks everything) says why — or commits, if the race has passed.
      const kind = oneStatementKind(request);
      if (kind) {
        const result = await commitOneStatement(
          client,
          kind,
          this.#oneStatement,
          this.schema,
          request,
          (notice) => this.#notify(TASKS_CHANNEL, notice),
        );
        if (result) return result;
      }
      return commitTransaction(client, this.#sql, this.schema, request);
    });
  }

  /**
   * Sends a notice outside the commit that calls for it, on another connection and without
   * waiting: a notice is a wake-up call, and one lost (the connection failed, the store
   * closed) only leaves the work to the workers' poll, or a waiter to its own.
   */
  #notify(channel: string, notice: string): void {
    this.#pool
      .query(`notify ${channel}`, 'SELECT pg_notify($1, $2)', [channel, notice], 'baton_announce_1')
      .catch(() => undefined);
  }

  async loadEvents(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    // Prepared: every run a worker claims is read first. Its one result column is named, so a
    // migration that adds columns to events does not invalidate the prepared statement.
    const rows = (
      await this.#read('loadEvents', this.#sql.loadEvents, [runId, afterSeq], 'baton_load_events_1')
    ).rows;
    return rows.map(eventFromRow);
  }

  async getRun(runId: string): Promise<RunRow | undefined> {
    const row = (await this.#read('getRun', this.#sql.getRun, [runId], 'baton_get_run_1')).rows[0];
    return row ? runFromRow(row) : undefined;
  }

  async findRunByIdempotencyKey(key: string): Promise<RunRow | undefined> {
    const row = (await this.#read('findRunByIdempotencyKey', this.#sql.runByKey, [key])).rows[0];
    return row ? runFromRow(row) : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.status?.length) where.push(`status = ANY(${param([...filter.status])}::text[])`);
    if (filter.workflow !== undefined) where.push(`workflow_name = ${param(filter.workflow)}`);
    if (filter.parentRunId !== undefined) where.push(`parent_run_id = ${param(filter.parentRunId)}`);
    if (filter.tenant !== undefined) where.push(`tenant = ${param(filter.tenant)}`);
    if (filter.before !== undefined)
      where.push(
        `ordinal < (SELECT ordinal FROM ${quoteSchema(this.schema)}.runs WHERE id = ${param(filter.before)})`,
      );
    const sql = `SELECT * FROM ${quoteSchema(this.schema)}.runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ordinal DESC LIMIT ${param(filter.limit ?? 50)}`;
    return (await this.#read('listRuns', sql, params)).rows.map(runFromRow);
  }

  async getSteps(runId: string): Promise<StepRow[]> {
    return (await this.#read('getSteps', this.#sql.getSteps, [runId])).rows.map(stepFromRow);
  }

  async listPendingApprovals(filter: { runId?: string; limit?: number } = {}): Promise<PendingApproval[]> {
    const limit = filter.limit ?? 100;
    const steps = (
      filter.runId === undefined
        ? await this.#read('listPendingApprovals', this.#sql.pendingApprovals, [limit])
        : await this.#read('listPendingApprovals', this.#sql.pendingApprovalsOfRun, [limit, filter.runId])
    ).rows.map(stepFromRow);
    if (steps.length === 0) return [];
    const runIds = [...new Set(steps.map((step) => step.runId))];
    const runs = new Map(
      (await this.#read('listPendingApprovals', this.#sql.runsByIds, [runIds])).rows.map((row) => {
        const run = runFromRow(row);
        return [run.id, run] as const;
      }),
    );
    return steps.flatMap((step) => {
      const run = runs.get(step.runId);
      return run ? [{ run, step }] : [];
    });
  }

  claimTasks(options: ClaimOptions): Promise<ClaimedTask[]> {
    return this.#claims.claim(options);
  }

  async setConcurrencyLimit(key: string, limit: number | undefined): Promise<void> {
    checkConcurrencyLimit(key, limit);
    if (limit === undefined) await this.#query('setConcurrencyLimit', this.#sql.removeLimit, [key]);
    else {
      await this.#query('setConcurrencyLimit', this.#sql.setLimit, [key, limit]);
      this.#claims.limitSet();
    }
  }

  async listConcurrencyLimits(): Promise<ConcurrencyLimit[]> {
    return (await this.#read('listConcurrencyLimits', this.#sql.listLimits)).rows.map((row) => ({
      key: String(row.key),
      limit: Number(row.max_leased),
    }));
  }

  async renewLeases(leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    if (leases.length === 0) return [];
    const result = await this.#query('renewLeases', this.#sql.renewLeases, [
      leases.map((l) => l.taskId),
      leases.map((l) => l.owner),
      leases.map((l) => l.token),
      leaseMs,
    ]);
    const key = (id: unknown, owner: unknown, token: unknown) => `${id}\u0000${owner}\u0000${Number(token)}`;
    const held = new Set(result.rows.map((row) => key(row.id, row.owner, row.token)));
    return leases.filter((l) => !held.has(key(l.taskId, l.owner, l.token))).map((l) => l.taskId);
  }

  async releaseTask(lease: Lease): Promise<void> {
    await this.#query('releaseTask', this.#sql.releaseTask, [
      this.schema,
      lease.taskId,
      lease.owner,
      lease.token,
    ]);
  }

  async nextWakeup(): Promise<number | undefined> {
    const next = (await this.#read('nextWakeup', this.#sql.nextWakeup)).rows[0]?.next;
    return next === null || next === undefined ? undefined : Number(next);
  }

  async getTask(taskId: string) {
    const row = (await this.#read('getTask', this.#sql.getTask, [taskId])).rows[0];
    if (!row) return undefined;
    return {
      ...taskFromRow(row),
      owner: row.lease_owner === null ? undefined : String(row.lease_owner),
      token: Number(row.lease_token),
      held: row.held === true,
    };
  }

  async usageSummary(query: UsageQuery): Promise<UsageGroup[]> {
    const { text, params } = usageSummarySql(quoteSchema(this.schema), query);
    return usageGroups((await this.#read('usageSummary', text, params)).rows);
  }

  async getCachedResponse(key: string): Promise<JsonValue | undefined> {
    const row = (await this.#read('getCachedResponse', this.#cacheSql.get, [key])).rows[0];
    if (!row) return undefined;
    return (typeof row.value === 'string' ? JSON.parse(row.value) : row.value) as JsonValue;
  }

  async putCachedResponse(key: string, value: JsonValue, ttlMs: number): Promise<void> {
    await this.#query('putCachedResponse', this.#cacheSql.put, [key, JSON.stringify(value), ttlMs]);
  }

  async pruneResponseCache(): Promise<number> {
    return (await this.#query('pruneResponseCache', this.#cacheSql.prune)).rowCount ?? 0;
  }

  async recordRejectedCommit(rejection: RejectedCommit): Promise<void> {
    await this.#query('recordRejectedCommit', this.#sql.recordRejectedCommit, [
      rejection.taskId,
      rejection.owner,
      rejection.token,
      rejection.runId,
      rejection.reason,
      rejection.at,
    ]);
  }

  async listRejectedCommits(runId?: string): Promise<RejectedCommit[]> {
    const result =
      runId === undefined
        ? await this.#read('listRejectedCommits', this.#sql.listRejectedCommits)
        : await this.#read('listRejectedCommits', this.#sql.listRejectedCommitsOfRun, [runId]);
    return result.rows.map((row) => ({
      taskId: String(row.task_id),
      owner: String(row.owner),
      token: Number(row.token),
      runId: String(row.run_id),
      reason: String(row.reason),
      at: Number(row.at),
    }));
  }

  onTasksAvailable(listener: (notice: TasksAvailable) => void): () => void {
    return this.#listener.subscribe(listener);
  }

  onRunsFinished(listener: (runIds: readonly string[]) => void): () => void {
    return this.#listener.subscribeRuns(listener);
  }

  /** Resolves once the LISTEN connection is up (after the first subscription); for tests and readiness checks. */
  listening(): Promise<void> {
    return this.#listener.listening();
  }
}
