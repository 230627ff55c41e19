/**
 * The two common commits as ONE statement each: a worker recording a step's result on one
 * existing run (and scheduling what follows), and the creation of a run. Data-modifying
 * CTEs gated on the run row's write — the guarded UPDATE, or an INSERT … ON CONFLICT DO
 * NOTHING — which PostgreSQL runs atomically in its implicit transaction. One round trip
 * instead of six or seven (BEGIN, run, lease, events, steps, tasks, COMMIT), with the same
 * checks and lock order as commitTransaction: the run row first (its UPDATE is the sequence
 * check), then the leased task (its DELETE is the lease check; when it deletes nothing, the
 * statement fails and undoes the run's update).
 *
 * Every part sees the same snapshot, so a request that would touch one row twice (a task
 * both completed and removed or re-inserted, a step both upserted and removed) or that
 * holds, releases or clears a run's tasks takes the transaction path instead.
 */
import type { ClientBase, QueryResult } from 'pg';
import { workflowLimitKey } from '../limits.ts';
import type { CommitRequest, CommitResult } from '../types.ts';
import { tasksNotice } from './claim-on-insert-sql.ts';
import { claimedInOrder, lastPerPath, taskFlags } from './commit.ts';
import { INVALID_TEXT_REPRESENTATION, sqlState, UNIQUE_VIOLATION } from './errors.ts';
import { eventsJson, jsonbText, stepsJson, tasksJson } from './json-values.ts';
import { LEASE_LOST, type OneStatementCommits, type OneStatementKind } from './one-statement-sql.ts';
import { inlineValues } from './row-sources.ts';

export { OneStatementCommits, type OneStatementKind } from './one-statement-sql.ts';

/** Which one-statement commit fits `request`, if any. */
export function oneStatementKind(request: CommitRequest): OneStatementKind | undefined {
  if (request.verify || request.writes.length !== 1) return undefined;
  const write = request.writes[0];
  const { tasks, steps } = write;
  if (tasks.hold !== undefined) return undefined;
  // Clearing the run's tasks (it finished) deletes by run, which must not meet a row the
  // statement also removes or inserts; the leased task is left to the lease's own DELETE.
  if (tasks.removeAll && (tasks.remove.length > 0 || tasks.insert.length > 0)) return undefined;
  if (tasks.insert.some((task) => task.runId !== write.run.id)) return undefined;
  if (steps.upsert.some((step) => steps.remove.includes(step.path))) return undefined;
  const lease = request.complete;
  const more = request.completeMore ?? [];
  if (write.expectedSeq === 0)
    return lease || tasks.remove.length > 0 || tasks.removeAll ? undefined : 'create';
  if (!lease) return undefined;
  // Clearing deletes by run, which would meet the further leased tasks' rows.
  if (more.length > 0 && tasks.removeAll) return undefined;
  const touched = new Set([lease.taskId, ...more.map((other) => other.taskId), ...tasks.remove]);
  if (touched.size !== tasks.remove.length + more.length + 1) return undefined;
  return tasks.insert.some((task) => touched.has(task.id)) ? undefined : 'advance';
}

/**
 * Commits a request that `oneStatementKind` accepted as `kind`. Returns undefined when
 * nothing was written — the run's sequence number or the lease did not match, or a run
 * with that id or idempotency key exists — for the caller to find out which with the
 * transaction path's checks.
 */
export async function commitOneStatement(
  client: ClientBase,
  kind: OneStatementKind,
  statements: OneStatementCommits,
  schema: string,
  request: CommitRequest,
  announce: (notice: string) => void,
): Promise<CommitResult | undefined> {
  const lease = request.complete;
  const write = request.writes[0];
  const { run, events, tasks } = write;
  const steps = lastPerPath(write.steps.upsert);
  const claim = request.claim;
  const list = tasks.insert;
  const { held, eligible } = taskFlags(write, claim, claim?.limit ?? 0);
  // A worker's step result usually leases every task it adds (the next steps, due now, on
  // its free slots): then the statement leaves out the NOTIFY part, a twentieth of its cost,
  // and the rare task left unleased all the same is announced after the commit.
  const forecast = statements.forecast;
  const now = run.updatedAt;
  const announced =
    !claim ||
    list.length > claim.limit ||
    list.some(
      (task, i) =>
        !eligible[i] || task.runAt > now || !forecast.expectsLease(task.queue, run.workflowName, now),
    );
  const { shape, handoff, ...statement } = statements.statement(kind, request, steps.length, announced);
  const inline = inlineValues(shape, events, steps, list, held, eligible, request.completeMore);
  let result: QueryResult;
  try {
    // Named, so each connection parses and plans this statement once: its result columns are
    // listed explicitly, so a migration that adds a column only makes PostgreSQL re-plan it.
    result = await client.query({
      ...statement,
      values: [
        run.status,
        jsonbText(run.output),
        jsonbText(run.error),
        run.seq,
        run.updatedAt,
        run.finishedAt ?? null,
        run.id,
        write.expectedSeq,
        jsonbText(run.usage),
        lease?.taskId ?? null,
        lease?.owner ?? null,
        lease?.token ?? null,
        shape.events === 'json' ? eventsJson(events) : null,
        shape.steps === 'json' ? stepsJson(steps) : null,
        write.steps.remove,
        tasks.remove,
        shape.tasks === 'json' && list.length > 0 ? tasksJson(list, held, eligible) : null,
        claim?.limit ?? 0,
        claim?.owner ?? null,
        claim?.leaseMs ?? 0,
        workflowLimitKey(run.workflowName),
        schema,
        ...(kind === 'advance'
          ? [tasks.removeAll]
          : [
              run.workflowName,
              run.workflowVersion,
              run.workflowHash,
              jsonbText(run.input),
              run.parentRunId ?? null,
              run.idempotencyKey ?? null,
              run.tenant ?? null,
              run.createdAt,
              request.latestDefinition?.hash ?? null,
              request.latestDefinition?.name ?? null,
              request.latestDefinition?.version ?? null,
            ]),
        ...inline,
      ],
    });
  } catch (error) {
    const state = sqlState(error);
    const leaseLost =
      state === INVALID_TEXT_REPRESENTATION && String((error as Error).message).includes(LEASE_LOST);
    // A handed-over task that could not be leased fails the lease check too; either way the
    // transaction path finds out what happened, and the next commits do not hand over.
    if (handoff && (leaseLost || state === UNIQUE_VIOLATION)) {
      forecast.missed(list[0].queue, run.workflowName, now);
      return undefined;
    }
    if (leaseLost) return undefined;
    throw error;
  }
  // A summary row (n: whether the run row was written; none when it was not), and the tasks
  // leased on insert: rows with an id (a hand-over's one row is both).
  const rows = result.rows as {
    n: string | null;
    id: string | null;
    lease_token: string;
    lease_expires_at: string;
  }[];
  if (Number(rows.find((row) => row.n !== null)?.n ?? 0) === 0) return undefined;
  if (!claim) return { ok: true };
  const claimed = claimedInOrder(
    list,
    rows.filter((row) => row.id !== null),
    claim,
  );
  if (!announced && claimed.length < list.length) {
    // Expected to lease them all, so the statement announced none: tell other workers of
    // the ones it left, and expect this queue and workflow not to lease for a while.
    const leased = new Set(claimed.map((task) => task.id));
    const unleased = list.filter((task, i) => !held[i] && !leased.has(task.id));
    for (const task of unleased) forecast.missed(task.queue, run.workflowName, now);
    if (unleased.length > 0) announce(tasksNotice(schema, unleased));
  }
  return claimed.length > 0 ? { ok: true, claimed } : { ok: true };
}
