/**
 * Claim-on-insert's SQL: new tasks inserted already leased to the committing worker when
 * they are due and no concurrency limit covers them, and the notice for the rest.
 */
import { STATEMENT_NOW_MS, TASKS_CHANNEL } from './sql-clock.ts';

/**
 * True when a step task counts against a concurrency limit: a limit exists for its queue
 * or its run's workflow. Tasks of other kinds are never limited.
 */
export function limited(s: string, kind: string, queue: string, workflowKey: string): string {
  return `(${kind} = 'step' AND EXISTS (SELECT 1 FROM ${s}.concurrency_limits l
    WHERE l.key = ANY (ARRAY['queue:' || ${queue}, ${workflowKey}])))`;
}

/** Where leaseOnInsert finds its values: SQL expressions, parameters mostly. */
export interface LeaseOnInsertParams {
  /** Each new task's run id (a column of \`input\`, or the one run's parameter). */
  runId: string;
  /** Most tasks to lease. */
  limit: string;
  owner: string;
  leaseMs: string;
  /** The run's workflow limit key (\`workflow:<name>\`). */
  workflowKey: string;
  /** The schema, named in the notice. */
  schema: string;
  /**
   * Where the database clock's milliseconds come from: the CTE \`clock\` (a transaction of
   * several statements), or the statement's arrival (STATEMENT_NOW_MS; see there).
   */
  now: 'clock' | 'statement';
  /**
   * Whether more tasks may be eligible than \`limit\`, so that the first due ones must be
   * chosen in order (a sort and a join). When not, each row's lease is decided on its own.
   */
  choose: boolean;
  /**
   * Whether the statement itself announces the rows it leaves unleased (\`notified\`).
   * Without it the caller must (announceUnleased), after the commit.
   */
  announce: boolean;
}

/**
 * Claim-on-insert as the CTEs \`chosen\` (only when choosing), \`inserted\` and \`notified\`, over the CTEs \`clock\`
 * and \`input\` (id, kind, path, attempt, run_at, queue, priority, held, eligible, ord): the
 * first \`limit\` eligible rows due on the database clock are inserted already leased to
 * \`owner\`; step tasks under a concurrency limit are left to locked claims. \`inserted\`
 * returns the new rows (a lease where lease_owner is set); \`notified\` has a row when the
 * rows left for other workers were announced to them.
 */
export function leaseOnInsert(s: string, p: LeaseOnInsertParams): string {
  const now = p.now === 'clock' ? 'clock.now' : STATEMENT_NOW_MS;
  const input = p.now === 'clock' ? 'input i, clock' : 'input i';
  const due = `i.eligible AND i.run_at <= ${now} AND NOT ${limited(s, 'i.kind', 'i.queue', `${p.workflowKey}::text`)}`;
  const chosen = p.choose
    ? `chosen AS (
        SELECT i.id FROM ${input} WHERE ${due}
        ORDER BY i.ord LIMIT ${p.limit}::integer
      ),
      `
    : '';
  // Rows are inserted in no particular order: callers report leases in the order they asked.
  const leased = p.choose ? 'i.id IN (SELECT c.id FROM chosen c)' : due;
  return `${chosen}inserted AS (
        INSERT INTO ${s}.tasks (id, run_id, kind, path, attempt, run_at, queue, priority, held, lease_owner, lease_token, lease_expires_at)
        SELECT i.id, ${p.runId}, i.kind, i.path, i.attempt, i.run_at, i.queue, i.priority, i.held,
          CASE WHEN i.leased THEN ${p.owner}::text END,
          CASE WHEN i.leased THEN 1 ELSE 0 END,
          CASE WHEN i.leased THEN i.now + ${p.leaseMs}::bigint END
        FROM (SELECT i.*, ${now} AS now, ${leased} AS leased FROM ${input} OFFSET 0) i
        ON CONFLICT (id) DO NOTHING
        RETURNING id, run_at, queue, held, lease_owner, lease_token, lease_expires_at
      )${
        p.announce
          ? `,
      notified AS (
        SELECT pg_notify('${TASKS_CHANNEL}', json_build_object('schema', ${p.schema}::text, 'runAt', min(run_at), 'queues', json_agg(DISTINCT queue))::text)
        FROM inserted WHERE NOT held AND lease_owner IS NULL HAVING count(*) > 0
      )`
          : ''
      }`;
}

/** The notice leaseOnInsert's \`notified\` sends, built by the caller for tasks it left unleased. */
export function tasksNotice(schema: string, tasks: readonly { runAt: number; queue: string }[]): string {
  return JSON.stringify({
    schema,
    runAt: Math.min(...tasks.map((task) => task.runAt)),
    queues: [...new Set(tasks.map((task) => task.queue))],
  });
}
