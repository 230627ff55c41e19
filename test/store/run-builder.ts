/**
 * Builds RunWrites the way the run manager does: events folded into state with the core's
 * `evolve`, projections from `runRow`/`changedStepRows`, tasks from `taskChanges`. Each
 * builder tracks the run's sequence number so tests can write a history step by step, and
 * `fork()` gives an independent copy to produce competing (conflicting) writes.
 */
import type { RunEvent, RunEventBody } from '../../src/core/events.ts';
import { changedStepRows, runRow } from '../../src/core/projection.ts';
import { evolve, newRunState, type RunState } from '../../src/core/state.ts';
import { type TaskKind, taskChanges, taskId } from '../../src/core/tasks.ts';
import type { JsonValue } from '../../src/errors.ts';
import type { WorkflowDefinition } from '../../src/language/model.ts';
import type { RunWrite, StoredDefinition } from '../../src/store/types.ts';

export interface StartOptions {
  at: number;
  workflow?: string;
  version?: string;
  input?: Record<string, JsonValue>;
  idempotencyKey?: string;
  tenant?: string;
  parent?: { runId: string; path: string };
  timeoutAt?: number;
}

export class RunBuilder {
  readonly id: string;
  state: RunState;

  private constructor(id: string, state: RunState) {
    this.id = id;
    this.state = state;
  }

  /** The creating write: RunStarted plus `then`, committed with expectedSeq 0. */
  static start(
    id: string,
    options: StartOptions,
    then: RunEventBody[] = [],
  ): { builder: RunBuilder; write: RunWrite } {
    const workflow = options.workflow ?? 'wf';
    const started: Extract<RunEvent, { type: 'RunStarted' }> = {
      type: 'RunStarted',
      seq: 1,
      at: options.at,
      workflow: { name: workflow, version: options.version ?? '1.0.0', hash: `hash-${workflow}` },
      input: options.input ?? {},
      idempotencyKey: options.idempotencyKey,
      tenant: options.tenant,
      parent: options.parent,
      timeoutAt: options.timeoutAt,
    };
    const builder = new RunBuilder(id, newRunState(id, started));
    const write = builder.#write(0, [started], then, options.at);
    return { builder, write };
  }

  /** The next write: `events` appended after the current sequence number. */
  next(events: RunEventBody[], at: number): RunWrite {
    return this.#write(this.state.seq, [], events, at);
  }

  /** An independent copy, to build a write that competes with this builder's. */
  fork(): RunBuilder {
    return new RunBuilder(this.id, structuredClone(this.state));
  }

  get seq(): number {
    return this.state.seq;
  }

  taskId(kind: TaskKind, path: string, attempt = 0): string {
    return taskId(this.id, kind, path, attempt);
  }

  #write(expectedSeq: number, first: RunEvent[], bodies: RunEventBody[], at: number): RunWrite {
    const events = [...first];
    for (const body of bodies) {
      const event = { ...body, seq: this.state.seq + 1, at } as RunEvent;
      evolve(this.state, event);
      events.push(event);
    }
    return {
      runId: this.id,
      expectedSeq,
      events,
      run: runRow(this.state),
      steps: changedStepRows(this.state, events),
      tasks: taskChanges(this.state, events),
    };
  }
}

/** Step `path` scheduled (a claimable step task due at `runAt`). */
export function scheduled(
  path: string,
  runAt: number,
  options: { attempt?: number; queue?: string; input?: JsonValue } = {},
): RunEventBody {
  return {
    type: 'StepScheduled',
    path,
    attempt: options.attempt ?? 1,
    input: options.input ?? null,
    runAt,
    queue: options.queue,
  };
}

export function completed(path: string, output: JsonValue, attempt = 1): RunEventBody {
  return { type: 'StepCompleted', path, attempt, output };
}

export function approvalRequested(path: string, message: string, timeoutAt?: number): RunEventBody {
  return {
    type: 'ApprovalRequested',
    path,
    request: { message, reviewers: ['ops'], timeoutAt, onTimeout: 'reject', onReject: 'fail' },
  };
}

export function definition(
  name: string,
  version: string,
  marker: string,
  createdAt: number,
): StoredDefinition {
  const def: WorkflowDefinition = {
    name,
    version,
    description: marker,
    inputs: {},
    defaults: {
      retry: {
        attempts: 1,
        backoff: 'fixed',
        delay: 0,
        maxDelay: 0,
        factor: 1,
        jitter: 'none',
        nonRetryable: [],
      },
    },
    steps: [],
    sections: {},
  };
  return {
    hash: `${name}-${version}-${marker}`,
    name,
    version,
    definition: def,
    source: `name: ${name}\n# ${marker}\n`,
    createdAt,
  };
}
