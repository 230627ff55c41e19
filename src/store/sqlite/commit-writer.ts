/**
 * Applies commit requests inside a write transaction the caller holds (BEGIN IMMEDIATE),
 * so that many requests can share one transaction (group commit) while each stays
 * all-or-nothing: every condition a request depends on (the task lease, each run's
 * sequence number, the idempotency key) is checked before its first write, and nothing
 * can change in between because the caller holds the write lock. A request that fails a
 * check writes nothing; the others in the same transaction are unaffected. An unexpected
 * SQL error escapes, and the caller rolls the whole transaction back.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { BatonError } from '../../errors.ts';
import type { ClaimedTask, CommitResult, LatestDefinition, Lease } from '../types.ts';
import type { EncodedRequest, EncodedWrite, SqlValue } from './encode.ts';
import { newestDefinitionHash } from './newest-definition.ts';
import { TaskWriter } from './task-writer.ts';

type Row = Record<string, unknown>;
type CommitFailure = Extract<CommitResult, { ok: false }>;

const INSERT_RUN = `INSERT INTO runs (id, ordinal, workflow_name, workflow_version, workflow_hash, status, input, output, error,
  parent_run_id, idempotency_key, tenant, seq, created_at, updated_at, finished_at, usage, last_event)
  VALUES (?, (SELECT COALESCE(MAX(ordinal), 0) + 1 FROM runs), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_RUN = `UPDATE runs SET status = ?, output = ?, error = ?, seq = ?, updated_at = ?, finished_at = ?, usage = ?,
  last_event = COALESCE(?, last_event) WHERE id = ? AND seq = ?`;
const UPDATE_LEASED_RUN = `${UPDATE_RUN}
  AND EXISTS (SELECT 1 FROM tasks WHERE id = ? AND lease_owner = ? AND lease_token = ?)`;
const STEP_COLUMNS =
  '(run_id, path, step_id, status, attempt, input, output, error, detail, waiting_for, started_at, updated_at, finished_at, usage)';
const STEP_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const STEP_UPSERT = `ON CONFLICT (run_id, path) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
  input = excluded.input, output = excluded.output, error = excluded.error, detail = excluded.detail,
  waiting_for = excluded.waiting_for, updated_at = excluded.updated_at, finished_at = excluded.finished_at,
  usage = excluded.usage`;
const EVENT_ROW = '(?, ?, ?, ?, ?, ?, ?)';
const EVENT_INSERT = (count: number) =>
  `INSERT INTO events (id, run_id, seq, type, at, body, prev) VALUES ${rows(EVENT_ROW, count)}`;
const STEP_UPSERT_ROWS = (count: number) =>
  `INSERT INTO steps ${STEP_COLUMNS} VALUES ${rows(STEP_ROW, count)} ${STEP_UPSERT}`;
/** Events and step rows of one write go in multi-row statements of up to this many rows. */
const ROWS_PER_STATEMENT = 8;
/** Runs whose last event this connection remembers (see CommitWriter.#lastEvents) before it starts over. */
const LAST_EVENTS_KEPT = 10_000;

export class CommitWriter {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #tasks: TaskWriter;
  readonly #insertEvents: StatementSync[] = [];
  readonly #upsertSteps: StatementSync[] = [];
  /** The rowid the next appended event gets; read once per transaction (see #firstEventId). */
  #nextEventId: number | undefined;
  /**
   * Each run's last event rowid as of a sequence number, from this connection's own commits:
   * a write that expects that sequence number (which its guarded UPDATE confirms) continues
   * from there without reading the run row. Other processes' writes change the sequence
   * number, so an entry they outdate is never used. Filled only once a transaction commits.
   */
  readonly #lastEvents = new Map<string, { seq: number; id: number }>();
  #pendingLastEvents: [runId: string, seq: number, id: number][] = [];

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#tasks = new TaskWriter((text) => this.#sql(text));
  }

  #sql(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  /** Call once per transaction, before its requests. */
  startBatch(): void {
    this.#tasks.startBatch();
    this.#nextEventId = undefined;
    this.#pendingLastEvents = [];
  }

  /** Call after the transaction of the batch committed. */
  committed(): void {
    if (this.#lastEvents.size > LAST_EVENTS_KEPT) this.#lastEvents.clear();
    for (const [runId, seq, id] of this.#pendingLastEvents) this.#lastEvents.set(runId, { seq, id });
    this.#pendingLastEvents = [];
  }

  /** Applies one request; `now` is the store clock's time, used for claim-on-insert leases. */
  apply(request: EncodedRequest, now: number): CommitResult {
    const { writes, complete, verify } = request;
    const lease = complete ?? verify;
    // Further leases completed with the first, all or none: checked before anything is written.
    const more = complete ? (request.completeMore ?? []) : [];
    const lost = more.find((other) => !this.#leaseHeld(other));
    if (lost) return { ok: false, reason: 'stale-lease', taskId: lost.taskId };
    if (writes.length === 0) {
      if (!lease) return { ok: true };
      if (more.length > 0 && !this.#leaseHeld(lease))
        return { ok: false, reason: 'stale-lease', taskId: lease.taskId };
      for (const other of more) this.#completeTask(other);
      const held = complete ? this.#completeTask(complete) : this.#leaseHeld(lease);
      return held ? { ok: true } : { ok: false, reason: 'stale-lease', taskId: lease.taskId };
    }
    // The common case, one existing run and a lease, checks both in its first statement (an
    // UPDATE guarded by the sequence number and the lease). Otherwise every condition is
    // checked with lookups before the first write.
    const guarded =
      writes.length === 1 && writes[0].expectedSeq !== 0 && more.length === 0 ? lease : undefined;
    if (request.latestDefinition && !this.#isLatest(request.latestDefinition))
      return { ok: false, reason: 'definition-changed', name: request.latestDefinition.name };
    if (!guarded) {
      if (lease && !this.#leaseHeld(lease)) return { ok: false, reason: 'stale-lease', taskId: lease.taskId };
      if (writes.length > 1) {
        const failure = this.#checkAll(writes);
        if (failure) return failure;
      }
    }
    const claimed: ClaimedTask[] = [];
    for (let i = 0; i < writes.length; i++) {
      const write = writes[i];
      checkSequence(write);
      const previous = write.expectedSeq === 0 || write.events.length === 0 ? null : this.#lastEvent(write);
      const first = write.events.length === 0 ? 0 : this.#firstEventId();
      const last = write.events.length === 0 ? null : first + write.events.length - 1;
      const failure = this.#writeRun(write, last, guarded);
      if (failure) {
        if (i > 0) throw internal(`write ${i} of a checked request failed: ${failure.reason}`);
        return failure;
      }
      if (i === 0 && complete && !this.#completeTask(complete)) throw internal('a checked lease vanished');
      if (i === 0)
        for (const other of more) if (!this.#completeTask(other)) throw internal('a checked lease vanished');
      this.#writeEvents(write, first, previous);
      this.#writeSteps(write);
      this.#tasks.write(write, request.claim, now, claimed);
    }
    return claimed.length > 0 ? { ok: true, claimed } : { ok: true };
  }

  #isLatest({ name, version, hash }: LatestDefinition): boolean {
    return newestDefinitionHash((text) => this.#sql(text), name, version) === hash;
  }

  #leaseHeld(lease: Lease): boolean {
    const held = this.#sql(
      'SELECT 1 AS held FROM tasks WHERE id = ? AND lease_owner = ? AND lease_token = ?',
    );
    return held.get(lease.taskId, lease.owner, lease.token) !== undefined;
  }

  #completeTask(lease: Lease): boolean {
    const complete = this.#sql('DELETE FROM tasks WHERE id = ? AND lease_owner = ? AND lease_token = ?');
    return Number(complete.run(lease.taskId, lease.owner, lease.token).changes) > 0;
  }

  #checkAll(writes: readonly EncodedWrite[]): CommitFailure | undefined {
    const seqs = new Map<string, number>();
    const keys = new Set<string>();
    for (const write of writes) {
      const run = write.run;
      if (write.expectedSeq === 0) {
        const key = run.idempotencyKey;
        if (key !== null) {
          const existing = this.#sql('SELECT id FROM runs WHERE idempotency_key = ?').get(key) as
            | Row
            | undefined;
          if (existing) return { ok: false, reason: 'duplicate-idempotency-key', runId: String(existing.id) };
          if (keys.has(key)) return { ok: false, reason: 'duplicate-idempotency-key', runId: run.id };
          keys.add(key);
        }
        if (seqs.has(run.id) || this.#sql('SELECT 1 AS x FROM runs WHERE id = ?').get(run.id))
          return { ok: false, reason: 'conflict', runId: run.id };
      } else {
        const current =
          seqs.get(run.id) ??
          (this.#sql('SELECT seq FROM runs WHERE id = ?').get(run.id) as Row | undefined)?.seq;
        if (current === undefined || Number(current) !== write.expectedSeq)
          return { ok: false, reason: 'conflict', runId: run.id };
      }
      seqs.set(run.id, run.seq);
    }
    return undefined;
  }

  /**
   * Inserts or updates the run row; returns the failure when this write must not happen.
   * With `lease`, the update also requires the lease to be held, and reports which check failed.
   */
  #writeRun(write: EncodedWrite, lastEvent: number | null, lease?: Lease): CommitFailure | undefined {
    const run = write.run;
    if (write.expectedSeq !== 0) {
      const changed = lease
        ? this.#sql(UPDATE_LEASED_RUN).run(
            ...run.update,
            lastEvent,
            run.id,
            write.expectedSeq,
            lease.taskId,
            lease.owner,
            lease.token,
          ).changes
        : this.#sql(UPDATE_RUN).run(...run.update, lastEvent, run.id, write.expectedSeq).changes;
      if (Number(changed) > 0) return undefined;
      if (lease && !this.#leaseHeld(lease)) return { ok: false, reason: 'stale-lease', taskId: lease.taskId };
      return { ok: false, reason: 'conflict', runId: run.id };
    }
    if (run.idempotencyKey !== null) {
      const existing = this.#sql('SELECT id FROM runs WHERE idempotency_key = ?').get(run.idempotencyKey) as
        | Row
        | undefined;
      if (existing) return { ok: false, reason: 'duplicate-idempotency-key', runId: String(existing.id) };
    }
    if (this.#sql('SELECT 1 AS x FROM runs WHERE id = ?').get(run.id))
      return { ok: false, reason: 'conflict', runId: run.id };
    if (!run.insert) throw internal(`run ${run.id} is created without its columns`);
    this.#sql(INSERT_RUN).run(run.id, ...run.insert, lastEvent);
    return undefined;
  }

  /** The rowid of the run's latest event: where its next event's `prev` points. */
  #lastEvent(write: EncodedWrite): number | null {
    const known = this.#lastEvents.get(write.runId);
    if (known?.seq === write.expectedSeq) return known.id;
    const runId = write.runId;
    const row = this.#sql('SELECT last_event FROM runs WHERE id = ?').get(runId) as Row | undefined;
    return row?.last_event == null ? null : Number(row.last_event);
  }

  /**
   * Events get explicit rowids, counted on from the table's highest: the run row records
   * its last one and each event its predecessor, so the history is written without an
   * index keyed by run, which dirtied one index page per run per commit.
   */
  #firstEventId(): number {
    this.#nextEventId ??= Number((this.#sql('SELECT MAX(id) AS id FROM events').get() as Row).id ?? 0) + 1;
    return this.#nextEventId;
  }

  #writeEvents(write: EncodedWrite, first: number, previous: number | null): void {
    if (write.events.length === 0) return;
    const rows = write.events.map((event, i) => [first + i, ...event, i === 0 ? previous : first + i - 1]);
    this.#insertRows(this.#insertEvents, rows, EVENT_INSERT);
    this.#nextEventId = first + rows.length;
    this.#pendingLastEvents.push([write.runId, write.run.seq, first + rows.length - 1]);
  }

  #writeSteps(write: EncodedWrite): void {
    this.#insertRows(this.#upsertSteps, write.steps, STEP_UPSERT_ROWS);
    if (write.removeSteps.length > 0) {
      const del = this.#sql('DELETE FROM steps WHERE run_id = ? AND path = ?');
      for (const path of write.removeSteps) del.run(write.runId, path);
    }
  }

  /**
   * Multi-row statements of up to ROWS_PER_STATEMENT rows each, prepared once per row count
   * (`statements[count]`): building and hashing the SQL text per call cost more than binding.
   */
  #insertRows(
    statements: StatementSync[],
    all: readonly SqlValue[][],
    text: (count: number) => string,
  ): void {
    for (let start = 0; start < all.length; start += ROWS_PER_STATEMENT) {
      const count = Math.min(ROWS_PER_STATEMENT, all.length - start);
      const params: SqlValue[] = [];
      for (let i = start; i < start + count; i++) params.push(...all[i]);
      statements[count] ??= this.#db.prepare(text(count));
      statements[count].run(...params);
    }
  }
}

/**
 * A write's events continue its run's history without gaps: with no unique index on
 * (run_id, seq) any more, this and the guarded sequence number are what keep it whole.
 */
function checkSequence(write: EncodedWrite): void {
  const { events, expectedSeq, run } = write;
  for (let i = 0; i < events.length; i++) {
    if (events[i][1] !== expectedSeq + 1 + i)
      throw internal(
        `event ${i} of run ${run.id} has sequence number ${events[i][1]}, expected ${expectedSeq + 1 + i}`,
      );
  }
  const last = expectedSeq + events.length;
  if (events.length > 0 && last !== run.seq)
    throw internal(`run ${run.id} is written with sequence number ${run.seq} after events up to ${last}`);
}

function rows(row: string, count: number): string {
  return `${row}, `.repeat(count - 1) + row;
}

function internal(message: string): BatonError {
  return new BatonError('STORE_INTERNAL', `SQLite commit: ${message}`);
}
