import type { RunEvent } from '../../core/events.ts';
import type { StepRow } from '../../core/projection.ts';
import type { TaskSpec } from '../../core/tasks.ts';

/**
 * JSON parameters. History goes into `json` columns verbatim. Projections go into `jsonb`,
 * which cannot hold U+0000 or an unpaired surrogate (both legal in JavaScript strings and
 * in `json`); there they become U+FFFD so that an odd byte in an LLM answer degrades a read
 * model instead of failing the commit. The history keeps the exact value.
 */

/** `\u0000` or a lone-surrogate escape, not itself escaped (preceded by an even number of backslashes). */
const JSONB_UNSAFE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

export function jsonText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function jsonbText(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text.includes('\\u') ? text.replace(JSONB_UNSAFE_ESCAPE, '$1\\ufffd') : text;
}

/**
 * New events as one json document of rows for json_to_recordset. Each body travels as a
 * string holding the event's exact JSON, cast to json in SQL: json_to_recordset refuses a
 * nested \\u0000, which the history must keep.
 */
export function eventsJson(events: readonly RunEvent[]): string {
  return JSON.stringify(events.map((e) => ({ seq: e.seq, type: e.type, at: e.at, body: JSON.stringify(e) })));
}

/**
 * Step rows (after run_id) as one document of rows. Each jsonb value travels as a
 * string holding its JSON (cast in SQL), so that a JSON null stays a JSON null; an absent
 * value is left out of its row (json_to_recordset reads it as SQL NULL), which keeps the
 * document PostgreSQL parses short.
 */
export function stepsJson(steps: readonly StepRow[]): string {
  return JSON.stringify(
    steps.map((s) => ({
      path: s.path,
      step_id: s.stepId,
      status: s.status,
      attempt: s.attempt,
      input: jsonbText(s.input) ?? undefined,
      output: jsonbText(s.output) ?? undefined,
      error: jsonbText(s.error) ?? undefined,
      detail: jsonbText(s.detail) ?? undefined,
      waiting_for: s.waitingFor,
      started_at: s.startedAt,
      updated_at: s.updatedAt,
      finished_at: s.finishedAt,
      usage: jsonbText(s.usage) ?? undefined,
    })),
  );
}

/** New tasks, with whether each is held and may be leased on insert, as one document of rows. */
export function tasksJson(
  tasks: readonly TaskSpec[],
  held: readonly boolean[],
  eligible: readonly boolean[],
): string {
  return JSON.stringify(
    tasks.map((t, i) => ({
      id: t.id,
      kind: t.kind,
      path: t.path,
      attempt: t.attempt,
      run_at: t.runAt,
      queue: t.queue,
      priority: t.priority,
      held: held[i],
      eligible: eligible[i],
    })),
  );
}
