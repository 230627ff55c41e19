/**
 * A commit request in the form the SQLite writer binds: JSON columns already serialised and
 * rows flattened into statement parameters. Encoding runs on the caller's thread, so the
 * writer thread — the busier of the two — only binds and steps, and what crosses the
 * thread boundary is strings and numbers instead of nested objects.
 */
import type { TaskChanges } from '../../core/tasks.ts';
import type { ClaimOptions, CommitRequest, LatestDefinition, Lease, RunWrite } from '../types.ts';

export type SqlValue = string | number | null;

export interface EncodedRun {
  id: string;
  seq: number;
  status: string;
  workflowName: string;
  idempotencyKey: string | null;
  /** status, output, error, seq, updated_at, finished_at, usage */
  update: SqlValue[];
  /** The INSERT parameters after id (see INSERT_RUN); only for a write that creates the run. */
  insert?: SqlValue[];
}

export interface EncodedWrite {
  runId: string;
  expectedSeq: number;
  run: EncodedRun;
  /** run_id, seq, type, at, body per event. */
  events: SqlValue[][];
  /** The step columns (STEP_COLUMNS) per upserted step row. */
  steps: SqlValue[][];
  removeSteps: string[];
  tasks: TaskChanges;
}

export interface EncodedRequest {
  writes: EncodedWrite[];
  complete?: Lease;
  completeMore?: Lease[];
  verify?: Lease;
  claim?: ClaimOptions;
  latestDefinition?: LatestDefinition;
}

export function encodeRequest(request: CommitRequest): EncodedRequest {
  return {
    writes: request.writes.map(encodeWrite),
    complete: request.complete,
    completeMore: request.completeMore,
    verify: request.verify,
    claim: request.claim,
    latestDefinition: request.latestDefinition,
  };
}

function encodeWrite(write: RunWrite): EncodedWrite {
  const { run, runId } = write;
  return {
    runId,
    expectedSeq: write.expectedSeq,
    run: {
      id: run.id,
      seq: run.seq,
      status: run.status,
      workflowName: run.workflowName,
      idempotencyKey: run.idempotencyKey ?? null,
      update: [
        run.status,
        json(run.output),
        json(run.error),
        run.seq,
        run.updatedAt,
        run.finishedAt ?? null,
        json(run.usage),
      ],
      insert:
        write.expectedSeq === 0
          ? [
              run.workflowName,
              run.workflowVersion,
              run.workflowHash,
              run.status,
              JSON.stringify(run.input),
              json(run.output),
              json(run.error),
              run.parentRunId ?? null,
              run.idempotencyKey ?? null,
              run.tenant ?? null,
              run.seq,
              run.createdAt,
              run.updatedAt,
              run.finishedAt ?? null,
              json(run.usage),
            ]
          : undefined,
    },
    events: write.events.map((event) => [runId, event.seq, event.type, event.at, JSON.stringify(event)]),
    steps: write.steps.upsert.map((step) => [
      runId,
      step.path,
      step.stepId,
      step.status,
      step.attempt,
      json(step.input),
      json(step.output),
      json(step.error),
      json(step.detail),
      step.waitingFor ?? null,
      step.startedAt,
      step.updatedAt,
      step.finishedAt ?? null,
      json(step.usage),
    ]),
    removeSteps: write.steps.remove,
    tasks: write.tasks,
  };
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
