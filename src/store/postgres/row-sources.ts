/**
 * Where a one-statement commit reads its new rows from (see one-statement-sql.ts), and the
 * parameters that carry them.
 */
import type { RunEvent } from '../../core/events.ts';
import type { StepRow } from '../../core/projection.ts';
import type { TaskSpec } from '../../core/tasks.ts';
import type { CommitRequest, Lease } from '../types.ts';
import { jsonbText } from './json-values.ts';

/**
 * Where a statement reads each batch of new rows: inline (a VALUES list of that many rows of
 * scalar parameters, appended after the fixed ones) or, for longer batches, its json
 * document. Inline rows skip the document's two parses (validation on arrival, then
 * json_to_recordset) and the function scan's set-up; a step usually writes two events, two
 * step rows and one task, and a statement is prepared per shape actually seen.
 */
export interface RowsShape {
  events: number | 'json';
  steps: number | 'json';
  tasks: number | 'json';
  /** Leases completed besides the first (CommitRequest.completeMore), always inline. */
  leases: number;
}

/** Longest batch sent inline; longer ones go as a json document. */
export const MAX_INLINE_ROWS = 4;

export function shapeOf(request: CommitRequest, stepCount: number): RowsShape {
  const { events, tasks } = request.writes[0];
  const inline = (n: number) => (n <= MAX_INLINE_ROWS ? n : 'json');
  return {
    events: inline(events.length),
    steps: inline(stepCount),
    tasks: inline(tasks.insert.length),
    leases: request.completeMore?.length ?? 0,
  };
}

export interface RowSources {
  events: string;
  steps: string;
  tasks: string;
  /** Document parameters left unread because their rows are inline. */
  unused: string[];
  /** The number of the first inline task's first parameter (its columns follow in TASK_TYPES order). */
  firstTaskParameter: number;
  /** The further leases (id, owner, token), as rows of a VALUES list; empty when there are none. */
  moreLeases: string;
  moreLeaseCount: number;
}

/** A VALUES list of \`rows\` rows of the parameters from \`first\`, each cast to its column's type. */
function valuesOf(rows: number, first: number, types: readonly string[], ordinal = false): string {
  return `(VALUES ${rowsOf(rows, first, types, ordinal)})`;
}

/** The rows of valuesOf, without the VALUES keyword around them. */
function rowsOf(rows: number, first: number, types: readonly string[], ordinal = false): string {
  const list: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells = types.map((type, c) => `$${first + r * types.length + c}::${type}`);
    if (ordinal) cells.push(String(r + 1));
    list.push(`(${cells.join(', ')})`);
  }
  return list.join(', ');
}

const EVENT_TYPES = ['bigint', 'text', 'bigint', 'json'];
const STEP_TYPES = 'text text text integer jsonb jsonb jsonb jsonb text bigint bigint bigint jsonb'.split(
  ' ',
);
const TASK_TYPES = ['text', 'text', 'text', 'integer', 'bigint', 'text', 'integer', 'boolean', 'boolean'];
const LEASE_TYPES = ['text', 'text', 'bigint'];

/**
 * The FROM items of the new events (e), step rows (r) and tasks (i), each empty when it has
 * no rows; inline parameters are numbered from `first`, in the order of inlineValues.
 */
export function rowSources(first: number, inserted: boolean, shape: RowsShape): RowSources {
  let next = first;
  const unused: string[] = [];
  const take = (rows: number, types: readonly string[]) => {
    const first = next;
    next += rows * types.length;
    return first;
  };
  const events =
    shape.events === 0
      ? ''
      : shape.events === 'json'
        ? `(SELECT e.seq, e.type, e.at, e.body::json FROM json_to_recordset($13::json) AS e(seq bigint, type text, at bigint, body text)) AS e(seq, type, at, body)`
        : `${valuesOf(shape.events, take(shape.events, EVENT_TYPES), EVENT_TYPES)} AS e(seq, type, at, body)`;
  if (shape.events !== 'json') unused.push('$13::json');
  const stepColumns = `path, step_id, status, attempt, input, output, error, detail, waiting_for, started_at, updated_at, finished_at, usage`;
  const steps =
    shape.steps === 0
      ? ''
      : shape.steps === 'json'
        ? `(SELECT r.path, r.step_id, r.status, r.attempt, r.input::jsonb, r.output::jsonb, r.error::jsonb, r.detail::jsonb,
        r.waiting_for, r.started_at, r.updated_at, r.finished_at, r.usage::jsonb
      FROM json_to_recordset($14::json) AS r(path text, step_id text, status text, attempt integer, input text,
        output text, error text, detail text, waiting_for text, started_at bigint, updated_at bigint, finished_at bigint,
        usage text)) AS r(${stepColumns})`
        : `${valuesOf(shape.steps, take(shape.steps, STEP_TYPES), STEP_TYPES)} AS r(${stepColumns})`;
  if (shape.steps !== 'json') unused.push('$14::json');
  const taskColumns = 'id, kind, path, attempt, run_at, queue, priority, held, eligible, ord';
  const firstTaskParameter = next;
  let tasks = '';
  if (inserted) {
    tasks =
      shape.tasks === 'json'
        ? `ROWS FROM (json_to_recordset($17::json) AS (id text, kind text, path text, attempt integer,
          run_at bigint, queue text, priority integer, held boolean, eligible boolean))
        WITH ORDINALITY AS i(${taskColumns})`
        : `${valuesOf(shape.tasks, take(shape.tasks, TASK_TYPES), TASK_TYPES, true)} AS i(${taskColumns})`;
    if (shape.tasks !== 'json') unused.push('$17::json');
  }
  const moreLeases =
    shape.leases === 0 ? '' : rowsOf(shape.leases, take(shape.leases, LEASE_TYPES), LEASE_TYPES);
  return { events, steps, tasks, unused, firstTaskParameter, moreLeases, moreLeaseCount: shape.leases };
}

/** The parameters of the inline rows of \`shape\`, in the order rowSources numbers them. */
export function inlineValues(
  shape: RowsShape,
  events: readonly RunEvent[],
  steps: readonly StepRow[],
  tasks: readonly TaskSpec[],
  held: readonly boolean[],
  eligible: readonly boolean[],
  moreLeases: readonly Lease[] = [],
): unknown[] {
  const values: unknown[] = [];
  if (shape.events !== 'json') eventValues(events, values);
  if (shape.steps !== 'json') stepValues(steps, values);
  if (shape.tasks !== 'json') taskValues(tasks, held, eligible, values);
  for (const lease of moreLeases) values.push(lease.taskId, lease.owner, lease.token);
  return values;
}

/** New events as inline parameters (seq, type, at, body), appended to \`out\`. */
function eventValues(events: readonly RunEvent[], out: unknown[]): void {
  for (const e of events) out.push(e.seq, e.type, e.at, JSON.stringify(e));
}

/** Step rows as inline parameters, in the columns of stepsJson, appended to \`out\`. */
function stepValues(steps: readonly StepRow[], out: unknown[]): void {
  for (const s of steps)
    out.push(
      s.path,
      s.stepId,
      s.status,
      s.attempt,
      jsonbText(s.input),
      jsonbText(s.output),
      jsonbText(s.error),
      jsonbText(s.detail),
      s.waitingFor ?? null,
      s.startedAt,
      s.updatedAt,
      s.finishedAt ?? null,
      jsonbText(s.usage),
    );
}

/** New tasks as inline parameters, in the columns of tasksJson, appended to \`out\`. */
function taskValues(
  tasks: readonly TaskSpec[],
  held: readonly boolean[],
  eligible: readonly boolean[],
  out: unknown[],
): void {
  tasks.forEach((t, i) => {
    out.push(t.id, t.kind, t.path, t.attempt, t.runAt, t.queue, t.priority, held[i], eligible[i]);
  });
}
