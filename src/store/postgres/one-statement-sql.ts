/**
 * The text of the one-statement commits (see commit-one-statement.ts): data-modifying CTEs
 * gated on the run row's write, built per combination of the optional parts a request needs.
 *
 * The new events, step rows and tasks arrive inline, as VALUES lists of scalar parameters,
 * or past four rows per batch as one json document each (row-sources.ts): PostgreSQL sets up
 * every node of the plan on each execution, and the per-column arrays and unnests these
 * replaced cost a fifth of a step's commit, the documents' parsing a sixth of what was left
 * (callgrind, docs/benchmarks.md).
 */
import type { CommitRequest } from '../types.ts';
import { leaseOnInsert, limited } from './claim-on-insert-sql.ts';
import { LeaseForecast } from './lease-forecast.ts';
import { type RowSources, type RowsShape, rowSources, shapeOf } from './row-sources.ts';
import { STATEMENT_NOW_MS } from './sql-clock.ts';

/** The text of the error the statement raises to roll itself back when its lease vanished mid-way. */
export const LEASE_LOST = 'baton: lease lost during commit of run';

/**
 * Bump whenever a statement's text changes: connections keep prepared statements by name,
 * and the name is `baton_<kind>_<parts>_<rows>_<this>`.
 */
const STATEMENT_VERSION = 10;

export type OneStatementKind = 'advance' | 'create';

/**
 * The optional parts of a statement, present only when the request needs them: PostgreSQL
 * initialises every part of a statement on each execution, and the idle ones cost a step's
 * commit about an eighth of its database CPU.
 */
interface Parts {
  removedSteps: boolean;
  removedTasks: boolean;
  cleared: boolean;
  inserted: boolean;
  /** More new tasks than may be leased: the first due ones are chosen in order (leaseOnInsert). */
  choose: boolean;
  /** Some new task may stay unleased, so the statement announces it (leaseOnInsert). */
  announce: boolean;
  /** The one new task takes over the leased task's row (handedOver). */
  handoff: boolean;
  /** A create that checks its definition is still the newest of its name (CommitRequest.latestDefinition). */
  guarded: boolean;
}

function partsOf(kind: OneStatementKind, request: CommitRequest, shape: RowsShape, announce: boolean): Parts {
  const { steps, tasks } = request.writes[0];
  const announced = tasks.insert.length > 0 && announce;
  return {
    removedSteps: steps.remove.length > 0,
    removedTasks: tasks.remove.length > 0,
    cleared: tasks.removeAll,
    inserted: tasks.insert.length > 0,
    // Without a claim nothing is eligible, so there is nothing to choose among.
    choose: request.claim !== undefined && tasks.insert.length > request.claim.limit,
    announce: announced,
    handoff: kind === 'advance' && shape.tasks === 1 && shape.leases === 0 && !announced && !tasks.removeAll,
    guarded: request.latestDefinition !== undefined,
  };
}

/**
 * Parameters of parts left out, with their types: node-postgres sends parameters untyped,
 * so each must still appear once for PostgreSQL to know its type. They appear in a CTE
 * nothing reads, which types them and which the planner then drops.
 */
const PART_PARAMETERS: Record<keyof Parts, readonly string[]> = {
  removedSteps: ['$15::text[]'],
  removedTasks: ['$16::text[]'],
  cleared: ['$23::boolean'],
  inserted: ['$17::json', '$19::text', '$20::bigint', '$21::text'],
  choose: ['$18::integer'],
  announce: ['$22::text'],
  handoff: [],
  guarded: ['$31::text', '$32::text', '$33::text'],
};

/** Parts only one kind of statement has: its parameters do not exist in the other. */
const ONLY_IN: Partial<Record<keyof Parts, OneStatementKind>> = { cleared: 'advance', guarded: 'create' };

/** The first parameter after the fixed ones of `kind`. */
export function firstInlineParameter(kind: OneStatementKind): number {
  return kind === 'advance' ? 24 : 34;
}

/** The statements of one schema, built once per combination of parts. */
export class OneStatementCommits {
  /** What this store expects of claim-on-insert (see LeaseForecast). */
  readonly forecast = new LeaseForecast();
  readonly #schema: string;
  readonly #texts = new Map<string, string>();

  /** `schema`: already quoted. */
  constructor(schema: string) {
    this.#schema = schema;
  }

  /** The prepared statement (name and text) that commits `request` as `kind`. */
  statement(
    kind: OneStatementKind,
    request: CommitRequest,
    stepCount: number,
    announce: boolean,
  ): { name: string; text: string; shape: RowsShape; handoff: boolean } {
    const shape = shapeOf(request, stepCount);
    const parts = partsOf(kind, request, shape, announce);
    const flags = (Object.keys(PART_PARAMETERS) as (keyof Parts)[])
      .map((part) => (parts[part] ? 1 : 0))
      .join('');
    const rows = `${shape.events}_${shape.steps}_${parts.inserted ? shape.tasks : 0}${shape.leases > 0 ? `_l${shape.leases}` : ''}`;
    const name = `baton_${kind}_${flags}_${rows}_${STATEMENT_VERSION}`;
    let text = this.#texts.get(name);
    if (!text) {
      const sources = rowSources(firstInlineParameter(kind), parts.inserted, shape);
      text =
        kind === 'advance'
          ? advanceRun(this.#schema, parts, sources)
          : createRun(this.#schema, parts, sources);
      this.#texts.set(name, text);
    }
    return { name, text, shape, handoff: parts.handoff };
  }
}

/** The CTE that types the parameters left unread (see PART_PARAMETERS), followed by a comma; or nothing. */
function unusedParameters(parts: Parts, kind: OneStatementKind, sources: RowSources): string {
  const unused = (Object.keys(PART_PARAMETERS) as (keyof Parts)[])
    .filter((part) => !parts[part] && (ONLY_IN[part] ?? kind) === kind)
    .flatMap((part) => PART_PARAMETERS[part])
    .concat(sources.unused);
  if (unused.length === 0) return '';
  return `unused AS (SELECT ${unused.map((param, i) => `${param} AS p${i}`).join(', ')}),
    `;
}

/**
 * Creating a run: the INSERT yields to an existing run with the same id or idempotency key
 * (nothing else is written, and the transaction path says which). Parameters $8 and $10–$12
 * (expected sequence number and lease) are the advance statement's; here they must be 0 and
 * null, $23–$30 carry the columns only a new run has, and $31–$33 the definition it must
 * still be the newest of (hash, name, version).
 */
function createRun(s: string, parts: Parts, sources: RowSources): string {
  return `WITH ${unusedParameters(parts, 'create', sources)}run AS (
      INSERT INTO ${s}.runs (id, workflow_name, workflow_version, workflow_hash, status, input, output, error,
        parent_run_id, idempotency_key, tenant, seq, created_at, updated_at, finished_at, usage)
      SELECT $7, $23, $24, $25, $1, $26::jsonb, $2::jsonb, $3::jsonb, $27, $28, $29, $4, $30, $5, $6, $9::jsonb
      WHERE $8::bigint = 0 AND $10::text IS NULL AND $11::text IS NULL AND $12::bigint IS NULL${
        parts.guarded
          ? `
        AND (SELECT d.hash FROM ${s}.definitions d WHERE d.name = $32::text AND ($33::text IS NULL OR d.version = $33)
          ORDER BY d.ordinal DESC LIMIT 1) = $31::text`
          : ''
      }
      ON CONFLICT DO NOTHING
      RETURNING id
    )${tail(s, parts, sources)}
    SELECT EXISTS (SELECT 1 FROM run) AS n, NULL::integer AS lease_check${summaryNotified(parts)},
      NULL AS id, NULL::bigint AS lease_token, NULL::bigint AS lease_expires_at
    ${claimedRows(parts)}`;
}

/** Recording a step's result; $23 says whether the run's other tasks are cleared (it finished). */
function advanceRun(s: string, parts: Parts, sources: RowSources): string {
  return `WITH ${unusedParameters(parts, 'advance', sources)}run AS (
      UPDATE ${s}.runs SET status = $1, output = $2::jsonb, error = $3::jsonb, seq = $4, updated_at = $5,
        finished_at = $6, usage = $9::jsonb
      WHERE id = $7 AND seq = $8
      RETURNING id
    ),
    ${parts.handoff ? handedOver(s, sources.firstTaskParameter) : completedLeases(s, sources.moreLeases)}${
      parts.cleared
        ? `,
    cleared AS (
      DELETE FROM ${s}.tasks WHERE $23::boolean AND run_id = $7 AND id <> $10 AND EXISTS (SELECT 1 FROM run)
    )`
        : ''
    }${tail(s, parts, sources)}
    ${
      parts.handoff
        ? handedSummary()
        : `SELECT true AS n,
      -- A lease is gone (expired and taken over, before or while this ran): undo everything.
      CASE WHEN ${
        sources.moreLeases
          ? `(SELECT count(*) FROM completed) < ${1 + sources.moreLeaseCount}`
          : 'NOT EXISTS (SELECT 1 FROM completed)'
      } THEN ('${LEASE_LOST} ' || r.id)::integer END AS lease_check
      ${summaryNotified(parts)},
      NULL AS id, NULL::bigint AS lease_token, NULL::bigint AS lease_expires_at
    FROM run r
    ${claimedRows(parts)}`
    }`;
}

/**
 * The leased tasks' DELETE, which is the lease check: the first lease's parameters ($10–$12),
 * then any further ones (CommitRequest.completeMore) as rows of a VALUES list.
 */
function completedLeases(s: string, moreLeases: string): string {
  if (!moreLeases)
    return `completed AS (
      DELETE FROM ${s}.tasks WHERE id = $10 AND lease_owner = $11 AND lease_token = $12 AND EXISTS (SELECT 1 FROM run)
      RETURNING id
    )`;
  return `completed AS (
      DELETE FROM ${s}.tasks t USING (VALUES ($10::text, $11::text, $12::bigint), ${moreLeases}) AS l(id, owner, token)
      WHERE t.id = l.id AND t.lease_owner = l.owner AND t.lease_token = l.token AND EXISTS (SELECT 1 FROM run)
      RETURNING t.id
    )`;
}

/**
 * The result of a hand-over: no row when the run row was not written, else one row that is
 * both the summary and the leased task — or the lease check's error when the task's row was
 * not handed over (the lease is gone, or the new task could not be leased).
 */
function handedSummary(): string {
  return `SELECT true AS n, CASE WHEN h.id IS NULL THEN ('${LEASE_LOST} ' || r.id)::integer END AS lease_check,
      NULL::boolean AS notified, h.id, h.lease_token, h.lease_expires_at
    FROM run r LEFT JOIN handed h ON true`;
}

/** The parts both statements share, gated on the CTE \`run\`: history, step rows, tasks, the notice; each after a comma. */
function tail(s: string, parts: Parts, sources: RowSources): string {
  const ctes: string[] = [];
  if (sources.events)
    ctes.push(`history AS (
      INSERT INTO ${s}.events (run_id, seq, type, at, body)
      SELECT g.id, e.seq, e.type, e.at, e.body
      FROM run g, ${sources.events}
    )`);
  if (sources.steps)
    ctes.push(`step_rows AS (
      INSERT INTO ${s}.steps (run_id, path, step_id, status, attempt, input, output, error, detail, waiting_for,
        started_at, updated_at, finished_at, usage)
      SELECT g.id, r.path, r.step_id, r.status, r.attempt, r.input, r.output, r.error, r.detail,
        r.waiting_for, r.started_at, r.updated_at, r.finished_at, r.usage
      FROM run g, ${sources.steps}
      ON CONFLICT (run_id, path) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, input = excluded.input,
        output = excluded.output, error = excluded.error, detail = excluded.detail, waiting_for = excluded.waiting_for,
        updated_at = excluded.updated_at, finished_at = excluded.finished_at, usage = excluded.usage
    )`);
  if (parts.removedSteps)
    ctes.push(`removed_steps AS (
      DELETE FROM ${s}.steps WHERE run_id = $7 AND path = ANY($15::text[]) AND EXISTS (SELECT 1 FROM run)
    )`);
  if (parts.removedTasks)
    ctes.push(`removed_tasks AS (
      DELETE FROM ${s}.tasks WHERE id = ANY($16::text[]) AND EXISTS (SELECT 1 FROM run)
    )`);
  if (parts.inserted && !parts.handoff)
    ctes.push(
      `input AS (
      SELECT * FROM ${sources.tasks}
      WHERE EXISTS (SELECT 1 FROM run)
    )`,
      leaseOnInsert(s, {
        runId: '$7',
        limit: '$18',
        owner: '$19',
        leaseMs: '$20',
        workflowKey: '$21',
        schema: '$22',
        choose: parts.choose,
        announce: parts.announce,
        now: 'statement',
      }),
    );
  return ctes.map((cte) => `,\n    ${cte}`).join('');
}

/**
 * The result: a summary row (\`n\`: whether the run row was written; an advance returns it only
 * when it was), then one row per task leased on insert. The summary reads \`notified\`, which a plain SELECT CTE needs to run.
 */
function summaryNotified(parts: Parts): string {
  return parts.announce ? ', EXISTS (SELECT 1 FROM notified) AS notified' : ', NULL::boolean AS notified';
}

function claimedRows(parts: Parts): string {
  if (!parts.inserted) return '';
  return `UNION ALL SELECT NULL, NULL, NULL, id, lease_token, lease_expires_at FROM inserted WHERE lease_owner IS NOT NULL`;
}

/**
 * A step result with exactly one new task, which the worker expects to lease: that task
 * takes over the row of the task whose lease completes (its UPDATE is the lease check),
 * instead of a DELETE and an INSERT (7 % fewer instructions per chain step). The new task's
 * columns are the inline task parameters from \`first\` (TASK_TYPES order). The row changes
 * hands only when leaseOnInsert would lease the task; when it would not, the lease check
 * fails as for a lost lease, and a new task whose id exists already fails the statement
 * with a unique violation — either way the caller takes the transaction path.
 */
function handedOver(s: string, first: number): string {
  const [id, kind, path, attempt, runAt, queue, priority, held, eligible] = Array.from(
    { length: 9 },
    (_, i) => `$${first + i}`,
  );
  const due = `${eligible}::boolean AND ${runAt}::bigint <= ${STATEMENT_NOW_MS} AND NOT ${limited(s, `${kind}::text`, `${queue}::text`, '$21::text')}`;
  return `handed AS (
      UPDATE ${s}.tasks t SET id = ${id}, kind = ${kind}, path = ${path}, attempt = ${attempt}, run_at = ${runAt},
        queue = ${queue}, priority = ${priority}, held = ${held}, lease_owner = $19::text, lease_token = 1,
        lease_expires_at = ${STATEMENT_NOW_MS} + $20::bigint
      WHERE t.id = $10 AND t.lease_owner = $11 AND t.lease_token = $12 AND EXISTS (SELECT 1 FROM run) AND ${due}
      RETURNING t.id, t.lease_token, t.lease_expires_at
    )`;
}
