/**
 * The one storage contract. Every implementation (SQLite embedded, PostgreSQL) passes
 * the same contract suite in test/store/. The atomic unit is `commit`: append events,
 * rewrite projections and change tasks in one transaction, guarded by optimistic
 * concurrency on each run's sequence number and, for worker results, by the task lease.
 */
import type { RunEvent } from '../core/events.ts';
import type { RunRow, StepRow } from '../core/projection.ts';
import type { RunStatus } from '../core/state.ts';
import type { TaskChanges, TaskKind, TaskSpec } from '../core/tasks.ts';
import type { JsonValue } from '../errors.ts';
import type { Usage } from '../kinds/types.ts';
import type { WorkflowDefinition } from '../language/model.ts';

export interface StoredDefinition {
  hash: string;
  name: string;
  version: string;
  definition: WorkflowDefinition;
  /** The original file text, when the definition came from a file. */
  source?: string;
  createdAt: number;
}

export interface DefinitionSummary {
  hash: string;
  name: string;
  version: string;
  createdAt: number;
}

export interface RunWrite {
  runId: string;
  /** The run's sequence number the events were decided on; 0 creates the run. */
  expectedSeq: number;
  events: RunEvent[];
  run: RunRow;
  steps: { upsert: StepRow[]; remove: string[] };
  tasks: TaskChanges;
}

export interface Lease {
  taskId: string;
  owner: string;
  token: number;
}

export interface CommitRequest {
  writes: RunWrite[];
  /** Deletes this task only if the lease is still held; otherwise nothing is written. */
  complete?: Lease;
  /**
   * More leases completed with `complete` (which must be set), all or none: a worker records
   * several results of one run in one commit (a wide map's items finishing together). If
   * any of them is not held, nothing is written and the result names that task.
   */
  completeMore?: Lease[];
  /** Requires the lease to be held, without deleting the task (checkpoints inside a step). */
  verify?: Lease;
  /**
   * Claim-on-insert: lease up to `limit` of the due tasks this commit inserts (and that the
   * filters match) to `owner` in the same transaction, so the worker that produced them can
   * run them at once instead of claiming them with another query. Optional for stores: a
   * store may lease none, and the tasks are then claimed the ordinary way.
   */
  claim?: ClaimOptions;
  /**
   * Creating a run from a workflow name the engine resolved from memory: nothing is written
   * unless \`hash\` is still the newest definition stored under \`name\` (and \`version\`, when
   * given), so a definition registered meanwhile by another process is never missed.
   */
  latestDefinition?: LatestDefinition;
}

export interface LatestDefinition {
  name: string;
  version?: string;
  hash: string;
}

export type CommitResult =
  | { ok: true; claimed?: ClaimedTask[] }
  | { ok: false; reason: 'conflict'; runId: string }
  | { ok: false; reason: 'stale-lease'; taskId: string }
  | { ok: false; reason: 'duplicate-idempotency-key'; runId: string }
  | { ok: false; reason: 'definition-changed'; name: string };

export interface ClaimedTask extends TaskSpec {
  owner: string;
  token: number;
  leaseExpiresAt: number;
  /**
   * The run's history as of the claim, when the store read it in the claim's own statement
   * (PostgreSQL does, on one of each run's claimed tasks), so the worker needs no second
   * round trip to load the run. The worker drops it once it has taken the run's state from it.
   */
  history?: RunEvent[];
  /**
   * `history` holds only the events after this sequence number: the claim said the worker
   * holds the run up to it (ClaimOptions.knownRuns). Absent or 0: the whole history.
   */
  historyAfter?: number;
}

export interface ClaimOptions {
  owner: string;
  limit: number;
  leaseMs: number;
  queues?: readonly string[];
  kinds?: readonly TaskKind[];
  /**
   * Runs whose history the claiming worker holds, up to the given sequence number: a store
   * that ships histories with claims sends only their later events (or none), instead of a
   * wide map's whole growing history with every item it hands out.
   */
  knownRuns?: ReadonlyMap<string, number>;
}

export interface RunFilter {
  status?: readonly RunStatus[];
  workflow?: string;
  parentRunId?: string;
  tenant?: string;
  /** Runs created strictly before this run (by creation order): keyset pagination. */
  before?: string;
  limit?: number;
}

/** Which runs' metered usage to total, and how to group it (Store.usageSummary). */
export interface UsageQuery {
  groupBy: 'workflow' | 'tenant';
  /** Only runs created at or after this time (ms). */
  since?: number;
  /** Only runs created before this time (ms). */
  until?: number;
  workflow?: string;
  tenant?: string;
  /** Leave this run out (a run checking its workflow's budget counts its own usage itself). */
  excludeRun?: string;
}

export interface UsageGroup {
  /** The workflow name or the tenant; null for runs without a tenant. */
  key: string | null;
  /** Runs in the group that metered anything. */
  runs: number;
  usage: Usage;
}

export interface PendingApproval {
  run: RunRow;
  step: StepRow;
}

export interface RejectedCommit {
  taskId: string;
  owner: string;
  token: number;
  runId: string;
  reason: string;
  at: number;
}

/**
 * A cluster-wide cap: at most `limit` step tasks whose key matches are leased at once, by
 * all workers together. Keys are `queue:<name>` (a step's queue) and `workflow:<name>` (all
 * runs of a workflow); build them with `queueLimitKey` / `workflowLimitKey` (limits.ts).
 */
export interface ConcurrencyLimit {
  key: string;
  limit: number;
}

/** What a store reports when tasks may have become claimable (all fields are hints). */
export interface TasksAvailable {
  /** Earliest `runAt` among the tasks, on the store's clock (`now()`). */
  runAt?: number;
  queues?: string[];
}

export interface Store {
  readonly kind: string;
  /** Creates or migrates the schema; safe when several processes start at once. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** The clock leases are measured on (the database's, where it has one). */
  now(): Promise<number>;

  saveDefinition(definition: StoredDefinition): Promise<void>;
  getDefinition(hash: string): Promise<StoredDefinition | undefined>;
  /** The most recently registered definition of `name` (with that version label, when given). */
  latestDefinition(name: string, version?: string): Promise<StoredDefinition | undefined>;
  listDefinitions(): Promise<DefinitionSummary[]>;

  commit(request: CommitRequest): Promise<CommitResult>;
  loadEvents(runId: string, afterSeq?: number): Promise<RunEvent[]>;
  getRun(runId: string): Promise<RunRow | undefined>;
  findRunByIdempotencyKey(key: string): Promise<RunRow | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRow[]>;
  getSteps(runId: string): Promise<StepRow[]>;
  listPendingApprovals(filter?: { runId?: string; limit?: number }): Promise<PendingApproval[]>;

  claimTasks(options: ClaimOptions): Promise<ClaimedTask[]>;
  /** Extends leases still held; returns the ids of tasks whose lease was lost. */
  renewLeases(leases: readonly Lease[], leaseMs: number): Promise<string[]>;
  /** Gives a claimed task back without completing it (graceful shutdown). */
  releaseTask(lease: Lease): Promise<void>;
  /** Earliest time a task becomes claimable, for sleeping until then. */
  nextWakeup(): Promise<number | undefined>;
  getTask(taskId: string): Promise<(TaskSpec & { owner?: string; token: number; held: boolean }) | undefined>;

  /**
   * Sets (or, with `undefined`, removes) a concurrency limit. Claims never lease a step task
   * whose queue or workflow key is at its limit, and claim-on-insert leaves such tasks to
   * ordinary claims, which count and lease under a lock so concurrent workers cannot overshoot.
   */
  setConcurrencyLimit(key: string, limit: number | undefined): Promise<void>;
  listConcurrencyLimits(): Promise<ConcurrencyLimit[]>;

  /**
   * Metered usage (LLM calls, tokens, cost) of the runs the query selects, totalled per
   * workflow or per tenant, most expensive first. Runs without usage are left out.
   */
  usageSummary(query: UsageQuery): Promise<UsageGroup[]>;

  /** The LLM response cached under `key`, unless it expired (on the store's clock). */
  getCachedResponse(key: string): Promise<JsonValue | undefined>;
  /** Caches `value` under `key` for `ttlMs` (on the store's clock), replacing what was there. */
  putCachedResponse(key: string, value: JsonValue, ttlMs: number): Promise<void>;
  /** Deletes expired cache entries; returns how many. */
  pruneResponseCache(): Promise<number>;

  recordRejectedCommit(rejection: RejectedCommit): Promise<void>;
  listRejectedCommits(runId?: string): Promise<RejectedCommit[]>;

  /**
   * Optional push channel for workers: calls `listener` after any process committed new
   * tasks, resumed a paused run or released a lease (PostgreSQL: LISTEN/NOTIFY), and once
   * after the channel reconnects, since notices may have been missed. Stores without it
   * are polled. Returns an unsubscribe function.
   */
  onTasksAvailable?(listener: (notice: TasksAvailable) => void): () => void;
  /**
   * Optional push channel for processes waiting on runs: calls `listener` with the ids of
   * runs any process just committed an outcome for (PostgreSQL: LISTEN/NOTIFY), and with
   * none after the channel reconnects, since notices may have been missed. Waiters of a
   * store without it poll. Returns an unsubscribe function.
   */
  onRunsFinished?(listener: (runIds: readonly string[]) => void): () => void;
}
