/**
 * The atomic unit on PostgreSQL: one transaction that checks the lease, appends events,
 * rewrites projections and changes tasks, or writes nothing. Runs are locked first (their
 * row update is the optimistic-concurrency check), then the leased task, then the run's
 * tasks: every commit takes locks in that order, so commits of one run never deadlock.
 */
import type { ClientBase } from 'pg';
import type { RunEvent } from '../../core/events.ts';
import type { StepRow } from '../../core/projection.ts';
import type { TaskSpec } from '../../core/tasks.ts';
import { workflowLimitKey } from '../limits.ts';
import type {
  ClaimedTask,
  ClaimOptions,
  CommitRequest,
  CommitResult,
  LatestDefinition,
  Lease,
  RunWrite,
} from '../types.ts';
import { isRaceLost, sqlState, UNIQUE_VIOLATION } from './errors.ts';
import { jsonbText, jsonText } from './json-values.ts';
import type { Statements } from './sql.ts';

type Failure = Exclude<CommitResult, { ok: true }>;

/** Thrown inside the transaction to roll it back with a result rather than an error. */
class Rejected {
  readonly result: Failure;
  constructor(result: Failure) {
    this.result = result;
  }
}

export async function commitTransaction(
  client: ClientBase,
  sql: Statements,
  schema: string,
  request: CommitRequest,
): Promise<CommitResult> {
  const lease = request.complete ?? request.verify;
  const leases = lease ? [lease, ...(request.complete ? (request.completeMore ?? []) : [])] : [];
  await client.query('BEGIN');
  try {
    const latest = request.latestDefinition;
    if (latest && !(await isLatestDefinition(client, sql, latest)))
      throw new Rejected({ ok: false, reason: 'definition-changed', name: latest.name });
    for (const write of request.writes) {
      const failure = await writeRun(client, sql, write);
      if (failure) {
        // The lease verdict wins over a conflict, as if the leases had been checked first.
        for (const held of leases)
          if (!(await leaseHeld(client, sql, held)))
            throw new Rejected({ ok: false, reason: 'stale-lease', taskId: held.taskId });
        throw new Rejected(failure);
      }
    }
    for (const each of leases) {
      const held = request.complete
        ? await client.query(sql.completeLease, [each.taskId, each.owner, each.token])
        : await client.query(sql.verifyLease, [each.taskId, each.owner, each.token]);
      if (held.rowCount === 0) throw new Rejected({ ok: false, reason: 'stale-lease', taskId: each.taskId });
    }
    const claimed: ClaimedTask[] = [];
    for (const write of request.writes)
      await writeHistory(client, sql, schema, write, request.claim, claimed);
    await client.query('COMMIT');
    return claimed.length > 0 ? { ok: true, claimed } : { ok: true };
  } catch (error) {
    await client.query('ROLLBACK');
    if (error instanceof Rejected) return error.result;
    // Another commit appended the same sequence numbers, or a deadlock between multi-run
    // commits: either way the caller must re-read history and decide again.
    const runId = conflictingRun(error) ?? request.writes[0]?.runId;
    if (runId !== undefined && (sqlState(error) === UNIQUE_VIOLATION || isRaceLost(error)))
      return { ok: false, reason: 'conflict', runId };
    throw error;
  }
}

/** The run named by a duplicate-event error ("Key (run_id, seq)=(r1, 3) already exists."). */
function conflictingRun(error: unknown): string | undefined {
  const detail = (error as { detail?: unknown } | null)?.detail;
  const match =
    typeof detail === 'string' ? /^Key \(run_id, seq\)=\((.*), \d+\) already exists/.exec(detail) : null;
  return match?.[1];
}

async function isLatestDefinition(
  client: ClientBase,
  sql: Statements,
  latest: LatestDefinition,
): Promise<boolean> {
  const { rows } =
    latest.version === undefined
      ? await client.query(sql.latestDefinitionHash, [latest.name])
      : await client.query(sql.latestDefinitionVersionHash, [latest.name, latest.version]);
  return rows[0]?.hash === latest.hash;
}

async function leaseHeld(client: ClientBase, sql: Statements, lease: Lease): Promise<boolean> {
  return ((await client.query(sql.leaseHeld, [lease.taskId, lease.owner, lease.token])).rowCount ?? 0) > 0;
}

/** Creates or advances the run row; the result says why it could not. */
async function writeRun(client: ClientBase, sql: Statements, write: RunWrite): Promise<Failure | undefined> {
  const run = write.run;
  if (write.expectedSeq === 0) {
    // ON CONFLICT DO NOTHING waits for a concurrent creator of the same id or key and then
    // yields to it, so two racing creators get one run and one clean answer.
    const inserted = await client.query(sql.insertRun, [
      run.id,
      run.workflowName,
      run.workflowVersion,
      run.workflowHash,
      run.status,
      jsonbText(run.input),
      jsonbText(run.output),
      jsonbText(run.error),
      run.parentRunId ?? null,
      run.idempotencyKey ?? null,
      run.tenant ?? null,
      run.seq,
      run.createdAt,
      run.updatedAt,
      run.finishedAt ?? null,
      jsonbText(run.usage),
    ]);
    if (inserted.rowCount === 1) return undefined;
    if (run.idempotencyKey !== undefined) {
      const existing = await client.query(sql.runIdByKey, [run.idempotencyKey]);
      if (existing.rowCount)
        return { ok: false, reason: 'duplicate-idempotency-key', runId: String(existing.rows[0].id) };
    }
    return { ok: false, reason: 'conflict', runId: run.id };
  }
  const updated = await client.query(sql.updateRun, [
    run.status,
    jsonbText(run.output),
    jsonbText(run.error),
    run.seq,
    run.updatedAt,
    run.finishedAt ?? null,
    run.id,
    write.expectedSeq,
    jsonbText(run.usage),
  ]);
  return updated.rowCount === 0 ? { ok: false, reason: 'conflict', runId: run.id } : undefined;
}

async function writeHistory(
  client: ClientBase,
  sql: Statements,
  schema: string,
  write: RunWrite,
  claim: ClaimOptions | undefined,
  claimed: ClaimedTask[],
): Promise<void> {
  const runId = write.run.id;
  const events = write.events;
  if (events.length > 0) {
    await client.query(sql.insertEvents, [runId, ...eventColumns(events)]);
  }
  const steps = lastPerPath(write.steps.upsert);
  if (steps.length > 0) {
    await client.query(sql.upsertSteps, [runId, ...stepColumns(steps)]);
  }
  if (write.steps.remove.length > 0) await client.query(sql.removeSteps, [runId, write.steps.remove]);

  const { tasks } = write;
  if (tasks.removeAll) await client.query(sql.removeRunTasks, [runId]);
  if (tasks.remove.length > 0) await client.query(sql.removeTasks, [tasks.remove]);
  if (tasks.insert.length > 0) await insertTasks(client, sql, schema, write, claim, claimed);
  if (tasks.hold !== undefined) await client.query(sql.holdTasks, [schema, tasks.hold, runId]);
}

/**
 * Inserts new tasks (existing ids are left alone). A paused run's new step tasks are held
 * until it resumes, exactly like the SQLite store. With `claim`, due tasks that match it
 * are leased to the committing worker in the same statement, up to its limit per request.
 */
async function insertTasks(
  client: ClientBase,
  sql: Statements,
  schema: string,
  write: RunWrite,
  claim: ClaimOptions | undefined,
  claimed: ClaimedTask[],
): Promise<void> {
  const list = write.tasks.insert;
  const budget = claim ? Math.max(0, claim.limit - claimed.length) : 0;
  const { held, eligible } = taskFlags(write, claim, budget);
  const result = await client.query(sql.insertTasks, [
    schema,
    list.map((t) => t.id),
    list.map((t) => t.runId),
    list.map((t) => t.kind),
    list.map((t) => t.path),
    list.map((t) => t.attempt),
    list.map((t) => t.runAt),
    list.map((t) => t.queue),
    list.map((t) => t.priority),
    held,
    eligible,
    budget,
    claim?.owner ?? null,
    claim?.leaseMs ?? 0,
    workflowLimitKey(write.run.workflowName),
  ]);
  if (claim) claimed.push(...claimedInOrder(list, result.rows, claim));
}

/** The events' columns as the arrays `unnest` takes: seq, type, at, body. */
function eventColumns(events: readonly RunEvent[]): unknown[][] {
  return [events.map((e) => e.seq), events.map((e) => e.type), events.map((e) => e.at), events.map(jsonText)];
}

/** The step rows' columns (after run_id) as the arrays `unnest` takes. */
function stepColumns(steps: readonly StepRow[]): unknown[][] {
  return [
    steps.map((s) => s.path),
    steps.map((s) => s.stepId),
    steps.map((s) => s.status),
    steps.map((s) => s.attempt),
    steps.map((s) => jsonbText(s.input)),
    steps.map((s) => jsonbText(s.output)),
    steps.map((s) => jsonbText(s.error)),
    steps.map((s) => jsonbText(s.detail)),
    steps.map((s) => s.waitingFor ?? null),
    steps.map((s) => s.startedAt),
    steps.map((s) => s.updatedAt),
    steps.map((s) => s.finishedAt ?? null),
    steps.map((s) => jsonbText(s.usage)),
  ];
}

/**
 * Per new task: whether it is held (a paused run's step tasks wait for resume) and whether
 * claim-on-insert may lease it (at most `budget` of them; the statement checks due time).
 */
export function taskFlags(
  write: RunWrite,
  claim: ClaimOptions | undefined,
  budget: number,
): { held: boolean[]; eligible: boolean[] } {
  const paused = write.run.status === 'paused';
  const held = write.tasks.insert.map((t) => paused && t.runId === write.run.id && t.kind === 'step');
  const eligible = write.tasks.insert.map(
    (t, i) => claim !== undefined && budget > 0 && !held[i] && matches(t, claim),
  );
  return { held, eligible };
}

/** The tasks leased on insert (rows with an id), reported in insertion order, like the tasks were decided. */
export function claimedInOrder(
  tasks: readonly TaskSpec[],
  rows: readonly { id: unknown; lease_token: unknown; lease_expires_at: unknown }[],
  claim: ClaimOptions,
): ClaimedTask[] {
  const leased = new Map(rows.filter((row) => row.id !== null).map((row) => [String(row.id), row]));
  const claimed: ClaimedTask[] = [];
  for (const task of tasks) {
    const row = leased.get(task.id);
    if (!row) continue;
    leased.delete(task.id);
    claimed.push({
      ...task,
      owner: claim.owner,
      token: Number(row.lease_token),
      leaseExpiresAt: Number(row.lease_expires_at),
    });
  }
  return claimed;
}

function matches(task: TaskSpec, claim: ClaimOptions): boolean {
  return (
    (!claim.kinds?.length || claim.kinds.includes(task.kind)) &&
    (!claim.queues?.length || claim.queues.includes(task.queue))
  );
}

/** One row per path (the last one wins, as with row-by-row upserts); a single upsert may touch a row once. */
export function lastPerPath(rows: readonly StepRow[]): StepRow[] {
  if (rows.length < 2) return [...rows];
  return [...new Map(rows.map((row) => [row.path, row])).values()];
}
