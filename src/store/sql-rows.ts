/**
 * Row ↔ object mapping shared by the SQL stores (column names are the same in both). JSON
 * columns arrive as JSON text in both: SQLite stores text, and the PostgreSQL store turns
 * off the driver's json/jsonb parsing so that a JSON string value is never parsed twice.
 */
import type { RunEvent } from '../core/events.ts';
import type { RunRow, StepRow } from '../core/projection.ts';
import type { RunStatus, StepStatus } from '../core/state.ts';
import type { TaskKind, TaskSpec } from '../core/tasks.ts';
import type { Usage } from '../kinds/types.ts';
import type { StoredDefinition } from './types.ts';

type Row = Record<string, unknown>;

function parse<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function optional(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

function optionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

export function eventFromRow(row: Row): RunEvent {
  return parse<RunEvent>(row.body)!;
}

export function runFromRow(row: Row): RunRow {
  return {
    id: String(row.id),
    workflowName: String(row.workflow_name),
    workflowVersion: String(row.workflow_version),
    workflowHash: String(row.workflow_hash),
    status: String(row.status) as RunStatus,
    input: parse(row.input) ?? {},
    output: parse(row.output),
    error: parse(row.error),
    parentRunId: optional(row.parent_run_id),
    idempotencyKey: optional(row.idempotency_key),
    tenant: optional(row.tenant),
    usage: parse<Usage>(row.usage),
    seq: Number(row.seq),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finishedAt: optionalNumber(row.finished_at),
  };
}

export function stepFromRow(row: Row): StepRow {
  return {
    runId: String(row.run_id),
    path: String(row.path),
    stepId: String(row.step_id),
    status: String(row.status) as StepStatus,
    attempt: Number(row.attempt),
    input: parse(row.input),
    output: parse(row.output),
    error: parse(row.error),
    detail: parse(row.detail),
    waitingFor: optional(row.waiting_for) as StepRow['waitingFor'],
    usage: parse<Usage>(row.usage),
    startedAt: Number(row.started_at),
    updatedAt: Number(row.updated_at),
    finishedAt: optionalNumber(row.finished_at),
  };
}

export function taskFromRow(row: Row): TaskSpec {
  return {
    id: String(row.id),
    runId: String(row.run_id),
    kind: String(row.kind) as TaskKind,
    path: String(row.path),
    attempt: Number(row.attempt),
    runAt: Number(row.run_at),
    queue: String(row.queue),
    priority: Number(row.priority),
  };
}

export function definitionFromRow(row: Row): StoredDefinition {
  return {
    hash: String(row.hash),
    name: String(row.name),
    version: String(row.version),
    definition: parse<StoredDefinition['definition']>(row.definition)!,
    source: optional(row.source),
    createdAt: Number(row.created_at),
  };
}
