/**
 * The text of the one-statement commits (see commit-one-statement.ts): data-modifying CTEs
 * gated on the run row's write, built per combination of the optional parts a request needs.
 */
import type { CommitRequest } from '../types.ts';
import { DB_NOW_MS, leaseOnInsert } from './sql.ts';

/** The text of the error the statement raises to roll itself back when its lease vanished mid-way. */
export const LEASE_LOST = 'baton: lease lost during commit of run';

/**
 * Bump whenever a statement's text changes: connections keep prepared statements by name,
 * and the name is `baton_<kind>_<parts>_<this>`.
 */
const STATEMENT_VERSION = 6;

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
}

function partsOf(request: CommitRequest): Parts {
  const { steps, tasks } = request.writes[0];
  return {
    removedSteps: steps.remove.length > 0,
    removedTasks: tasks.remove.length > 0,
    cleared: tasks.removeAll,
    inserted: tasks.insert.length > 0,
  };
}

/**
 * Parameters of parts left out, with their types: node-postgres sends parameters untyped,
 * so each must still appear once for PostgreSQL to know its type. They are read once, in
 * the clock row, where they cost nothing.
 */
const PART_PARAMETERS: Record<keyof Parts, readonly string[]> = {
  removedSteps: ['$30::text[]'],
  removedTasks: ['$31::text[]'],
  cleared: ['$46::boolean'],
  inserted: [
    '$32::text[]',
    '$33::text[]',
    '$34::text[]',
    '$35::integer[]',
    '$36::bigint[]',
    '$37::text[]',
    '$38::integer[]',
    '$39::boolean[]',
    '$40::boolean[]',
    '$41::integer',
    '$42::text',
    '$43::bigint',
    '$44::text',
    '$45::text',
  ],
};

/** The statements of one schema, built once per combination of parts. */
export class OneStatementCommits {
  readonly #schema: string;
  readonly #texts = new Map<string, string>();

  /** `schema`: already quoted. */
  constructor(schema: string) {
    this.#schema = schema;
  }

  /** The prepared statement (name and text) that commits `request` as `kind`. */
  statement(kind: OneStatementKind, request: CommitRequest): { name: string; text: string } {
    const parts = partsOf(request);
    const flags = (Object.keys(PART_PARAMETERS) as (keyof Parts)[])
      .map((part) => (parts[part] ? 1 : 0))
      .join('');
    const name = `baton_${kind}_${flags}_${STATEMENT_VERSION}`;
    let text = this.#texts.get(name);
    if (!text) {
      text = kind === 'advance' ? advanceRun(this.#schema, parts) : createRun(this.#schema, parts);
      this.#texts.set(name, text);
    }
    return { name, text };
  }
}

/** The clock row, which also types the parameters of the parts left out (see PART_PARAMETERS). */
function clock(parts: Parts, kind: OneStatementKind): string {
  const unused = (Object.keys(PART_PARAMETERS) as (keyof Parts)[])
    .filter((part) => !parts[part] && !(part === 'cleared' && kind === 'create'))
    .flatMap((part) => PART_PARAMETERS[part]);
  const typed = unused.map((param, i) => `, ${param} AS unused_${i}`).join('');
  return `clock AS (SELECT ${DB_NOW_MS} AS now${typed})`;
}

/**
 * Creating a run: the INSERT yields to an existing run with the same id or idempotency key
 * (nothing else is written, and the transaction path says which). Parameters $8 and $10–$12
 * (expected sequence number and lease) are the advance statement's; here they must be 0 and
 * null, and $46–$53 carry the columns only a new run has.
 */
function createRun(s: string, parts: Parts): string {
  return `WITH ${clock(parts, 'create')},
    run AS (
      INSERT INTO ${s}.runs (id, workflow_name, workflow_version, workflow_hash, status, input, output, error,
        parent_run_id, idempotency_key, tenant, seq, created_at, updated_at, finished_at, usage)
      SELECT $7, $46, $47, $48, $1, $49::jsonb, $2::jsonb, $3::jsonb, $50, $51, $52, $4, $53, $5, $6, $9::jsonb
      WHERE $8::bigint = 0 AND $10::text IS NULL AND $11::text IS NULL AND $12::bigint IS NULL
      ON CONFLICT DO NOTHING
      RETURNING id
    ),
    ${tail(s, parts)}
    SELECT 'run' AS part, (SELECT count(*) FROM run) AS n, NULL AS id, NULL::bigint AS lease_token,
      NULL::bigint AS lease_expires_at, NULL::integer AS lease_check
    ${tailResult(parts)}`;
}

/** Recording a step's result; $46 says whether the run's other tasks are cleared (it finished). */
function advanceRun(s: string, parts: Parts): string {
  return `WITH ${clock(parts, 'advance')},
    run AS (
      UPDATE ${s}.runs SET status = $1, output = $2::jsonb, error = $3::jsonb, seq = $4, updated_at = $5,
        finished_at = $6, usage = $9::jsonb
      WHERE id = $7 AND seq = $8
        AND EXISTS (SELECT 1 FROM ${s}.tasks WHERE id = $10 AND lease_owner = $11 AND lease_token = $12)
      RETURNING id
    ),
    completed AS (
      DELETE FROM ${s}.tasks WHERE id = $10 AND lease_owner = $11 AND lease_token = $12 AND EXISTS (SELECT 1 FROM run)
      RETURNING id
    ),
    ${
      parts.cleared
        ? `cleared AS (
      DELETE FROM ${s}.tasks WHERE $46::boolean AND run_id = $7 AND id <> $10 AND EXISTS (SELECT 1 FROM run)
    ),`
        : ''
    }
    ${tail(s, parts)}
    SELECT 'run' AS part, (SELECT count(*) FROM run) AS n, NULL AS id, NULL::bigint AS lease_token, NULL::bigint AS lease_expires_at,
      -- The lease was taken over between the snapshot and the DELETE: fail the whole statement.
      (SELECT ('${LEASE_LOST} ' || r.id)::integer FROM run r WHERE NOT EXISTS (SELECT 1 FROM completed)) AS lease_check
    UNION ALL SELECT 'completed', (SELECT count(*) FROM completed), NULL, NULL, NULL, NULL
    ${tailResult(parts)}`;
}

/** The parts both statements share, gated on the CTE \`run\`: history, step rows, tasks, the notice. */
function tail(s: string, parts: Parts): string {
  const ctes = [
    `history AS (
      INSERT INTO ${s}.events (run_id, seq, type, at, body)
      SELECT $7, * FROM unnest($13::bigint[], $14::text[], $15::bigint[], $16::json[]) WHERE EXISTS (SELECT 1 FROM run)
    )`,
    `step_rows AS (
      INSERT INTO ${s}.steps (run_id, path, step_id, status, attempt, input, output, error, detail, waiting_for,
        started_at, updated_at, finished_at, usage)
      SELECT $7, * FROM unnest($17::text[], $18::text[], $19::text[], $20::integer[], $21::jsonb[], $22::jsonb[],
        $23::jsonb[], $24::jsonb[], $25::text[], $26::bigint[], $27::bigint[], $28::bigint[], $29::jsonb[])
      WHERE EXISTS (SELECT 1 FROM run)
      ON CONFLICT (run_id, path) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, input = excluded.input,
        output = excluded.output, error = excluded.error, detail = excluded.detail, waiting_for = excluded.waiting_for,
        updated_at = excluded.updated_at, finished_at = excluded.finished_at, usage = excluded.usage
    )`,
  ];
  if (parts.removedSteps)
    ctes.push(`removed_steps AS (
      DELETE FROM ${s}.steps WHERE run_id = $7 AND path = ANY($30::text[]) AND EXISTS (SELECT 1 FROM run)
    )`);
  if (parts.removedTasks)
    ctes.push(`removed_tasks AS (
      DELETE FROM ${s}.tasks WHERE id = ANY($31::text[]) AND EXISTS (SELECT 1 FROM run)
    )`);
  if (parts.inserted)
    ctes.push(
      `input AS (
      SELECT * FROM unnest($32::text[], $33::text[], $34::text[], $35::integer[], $36::bigint[], $37::text[],
        $38::integer[], $39::boolean[], $40::boolean[])
        WITH ORDINALITY AS i(id, kind, path, attempt, run_at, queue, priority, held, eligible, ord)
      WHERE EXISTS (SELECT 1 FROM run)
    )`,
      leaseOnInsert(s, {
        runId: '$7',
        limit: '$41',
        owner: '$42',
        leaseMs: '$43',
        workflowKey: '$44',
        schema: '$45',
      }),
    );
  return ctes.join(',\n    ');
}

function tailResult(parts: Parts): string {
  if (!parts.inserted) return '';
  return `UNION ALL SELECT 'notified', (SELECT count(*) FROM notified), NULL, NULL, NULL, NULL
    UNION ALL SELECT 'claimed', NULL, id, lease_token, lease_expires_at, NULL FROM inserted WHERE lease_owner IS NOT NULL`;
}
