/**
 * The scale-out store: many worker and API processes share one PostgreSQL database through
 * a connection pool. Same contract as the SQLite store; leases are measured on the
 * database's clock, claims use FOR UPDATE SKIP LOCKED, and commits that enqueue work
 * NOTIFY `baton_tasks` so idle workers wake without polling.
 */
import { type ClientConfig, type CustomTypesConfig, Pool, type PoolClient, types as pgTypes, type QueryResultRow } from 'pg';
import type { RunEvent } from '../../core/events.ts';
import type { RunRow, StepRow } from '../../core/projection.ts';
import { definitionFromRow, eventFromRow, runFromRow, stepFromRow, taskFromRow } from '../sql-rows.ts';
import type {
  ClaimedTask,
  ClaimOptions,
  CommitRequest,
  CommitResult,
  DefinitionSummary,
  Lease,
  PendingApproval,
  RejectedCommit,
  RunFilter,
  Store,
  StoredDefinition,
  TasksAvailable,
} from '../types.ts';
import { commitTransaction } from './commit.ts';
import { type PostgresSettings, type PostgresStoreOptions, postgresSettings, quoteSchema } from './config.ts';
import { storeError } from './errors.ts';
import { TaskListener } from './listener.ts';
import { migrate } from './migrations.ts';
import { type Statements, statements } from './sql.ts';

type Row = Record<string, unknown>;

const JSON_OID = 114;
const JSONB_OID = 3802;
const INT8_OID = 20;

/** JSON stays text (shared row mapping parses it once); bigint epoch-ms values fit a double. */
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === JSON_OID || oid === JSONB_OID) return (value: string) => value;
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pgTypes.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly schema: string;
  readonly #settings: PostgresSettings;
  readonly #pool: Pool;
  readonly #sql: Statements;
  readonly #listener: TaskListener;
  readonly #onBackgroundError: (error: unknown) => void;
  #initialized?: Promise<void>;
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    this.#settings = postgresSettings(options);
    this.schema = this.#settings.schema;
    this.#onBackgroundError = options.onBackgroundError ?? (() => undefined);
    const client: ClientConfig = {
      connectionString: this.#settings.connectionString,
      connectionTimeoutMillis: this.#settings.connectionTimeoutMs,
      application_name: this.#settings.applicationName,
      keepAlive: true,
      types: TYPES,
    };
    this.#pool = new Pool({ ...client, max: this.#settings.poolSize, idleTimeoutMillis: 30_000 });
    // An idle connection dropped by the server must not crash the process; the pool
    // discards it and the next query opens a fresh one.
    this.#pool.on('error', (error) => this.#onBackgroundError(storeError(error, 'idle connection')));
    this.#sql = statements(quoteSchema(this.schema));
    this.#listener = new TaskListener(client, this.schema, (error) => this.#onBackgroundError(storeError(error, 'listening for tasks')));
  }

  get poolSize(): number {
    return this.#settings.poolSize;
  }

  async init(): Promise<void> {
    this.#initialized ??= this.#withClient('init', async (client) => {
      await migrate(client, this.schema);
    }).catch((error) => {
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
    return Number((await this.#query('now', this.#sql.now)).rows[0].now);
  }

  /** Runs `work` on one pooled connection; a connection that failed is destroyed, not reused. */
  async #withClient<T>(operation: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw storeError(error, operation);
    }
    // A checked-out client has no error listener of the pool's; without one, a connection
    // dropped between queries would be an unhandled 'error' event.
    let broken: unknown;
    const onError = (error: unknown) => {
      broken ??= error;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      broken ??= error;
      throw storeError(error, operation);
    } finally {
      client.off('error', onError);
      client.release(broken === undefined ? undefined : broken instanceof Error ? broken : new Error(String(broken)));
    }
  }

  async #query<R extends QueryResultRow = Row>(operation: string, text: string, params: unknown[] = []) {
    try {
      return await this.#pool.query<R>(text, params);
    } catch (error) {
      throw storeError(error, operation);
    }
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
    const row = (await this.#query('getDefinition', this.#sql.getDefinition, [hash])).rows[0];
    return row ? definitionFromRow(row) : undefined;
  }

  async latestDefinition(name: string, version?: string): Promise<StoredDefinition | undefined> {
    const result =
      version === undefined
        ? await this.#query('latestDefinition', this.#sql.latestDefinition, [name])
        : await this.#query('latestDefinition', this.#sql.latestDefinitionVersion, [name, version]);
    return result.rows[0] ? definitionFromRow(result.rows[0]) : undefined;
  }

  async listDefinitions(): Promise<DefinitionSummary[]> {
    return (await this.#query('listDefinitions', this.#sql.listDefinitions)).rows.map((row) => ({
      hash: String(row.hash),
      name: String(row.name),
      version: String(row.version),
      createdAt: Number(row.created_at),
    }));
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    if (request.writes.length === 0 && !request.complete && !request.verify) return { ok: true };
    return this.#withClient('commit', (client) => commitTransaction(client, this.#sql, this.schema, request));
  }

  async loadEvents(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    return (await this.#query('loadEvents', this.#sql.loadEvents, [runId, afterSeq])).rows.map(eventFromRow);
  }

  async getRun(runId: string): Promise<RunRow | undefined> {
    const row = (await this.#query('getRun', this.#sql.getRun, [runId])).rows[0];
    return row ? runFromRow(row) : undefined;
  }

  async findRunByIdempotencyKey(key: string): Promise<RunRow | undefined> {
    const row = (await this.#query('findRunByIdempotencyKey', this.#sql.runByKey, [key])).rows[0];
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
    if (filter.before !== undefined) where.push(`ordinal < (SELECT ordinal FROM ${quoteSchema(this.schema)}.runs WHERE id = ${param(filter.before)})`);
    const sql = `SELECT * FROM ${quoteSchema(this.schema)}.runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ordinal DESC LIMIT ${param(filter.limit ?? 50)}`;
    return (await this.#query('listRuns', sql, params)).rows.map(runFromRow);
  }

  async getSteps(runId: string): Promise<StepRow[]> {
    return (await this.#query('getSteps', this.#sql.getSteps, [runId])).rows.map(stepFromRow);
  }

  async listPendingApprovals(filter: { runId?: string; limit?: number } = {}): Promise<PendingApproval[]> {
    const limit = filter.limit ?? 100;
    const steps = (
      filter.runId === undefined
        ? await this.#query('listPendingApprovals', this.#sql.pendingApprovals, [limit])
        : await this.#query('listPendingApprovals', this.#sql.pendingApprovalsOfRun, [limit, filter.runId])
    ).rows.map(stepFromRow);
    if (steps.length === 0) return [];
    const runIds = [...new Set(steps.map((step) => step.runId))];
    const runs = new Map(
      (await this.#query('listPendingApprovals', this.#sql.runsByIds, [runIds])).rows.map((row) => {
        const run = runFromRow(row);
        return [run.id, run] as const;
      }),
    );
    return steps.flatMap((step) => {
      const run = runs.get(step.runId);
      return run ? [{ run, step }] : [];
    });
  }

  async claimTasks(options: ClaimOptions): Promise<ClaimedTask[]> {
    if (options.limit <= 0) return [];
    const result = await this.#query('claimTasks', this.#sql.claimTasks, [
      options.owner,
      options.leaseMs,
      options.limit,
      options.queues?.length ? [...options.queues] : null,
      options.kinds?.length ? [...options.kinds] : null,
    ]);
    return result.rows
      .map((row) => ({ ...taskFromRow(row), owner: options.owner, token: Number(row.lease_token), leaseExpiresAt: Number(row.lease_expires_at) }))
      .sort((a, b) => b.priority - a.priority || a.runAt - b.runAt);
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
    await this.#query('releaseTask', this.#sql.releaseTask, [this.schema, lease.taskId, lease.owner, lease.token]);
  }

  async nextWakeup(): Promise<number | undefined> {
    const next = (await this.#query('nextWakeup', this.#sql.nextWakeup)).rows[0]?.next;
    return next === null || next === undefined ? undefined : Number(next);
  }

  async getTask(taskId: string) {
    const row = (await this.#query('getTask', this.#sql.getTask, [taskId])).rows[0];
    if (!row) return undefined;
    return { ...taskFromRow(row), owner: row.lease_owner === null ? undefined : String(row.lease_owner), token: Number(row.lease_token), held: row.held === true };
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
        ? await this.#query('listRejectedCommits', this.#sql.listRejectedCommits)
        : await this.#query('listRejectedCommits', this.#sql.listRejectedCommitsOfRun, [runId]);
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

  /** Resolves once the LISTEN connection is up (after the first subscription); for tests and readiness checks. */
  listening(): Promise<void> {
    return this.#listener.listening();
  }
}
