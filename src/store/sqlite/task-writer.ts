/**
 * The task side of a commit: removes the tasks the events made obsolete, inserts the new
 * ones, holds or releases a paused run's steps, and implements claim-on-insert: new due
 * tasks that match a worker's claim are inserted already leased to it (at most `limit`),
 * so the worker that produced them runs them at once. Claim-on-insert is skipped for a
 * worker while due tasks it could claim are already waiting: handing its freed slot to the
 * run it just advanced would let a long chain overtake older work, so the ordinary claim
 * order (priority, then due time) decides instead. That check runs once per worker and
 * transaction, when a request first has something to hand off.
 */
import type { StatementSync } from 'node:sqlite';
import type { TaskSpec } from '../../core/tasks.ts';
import type { ClaimedTask, ClaimOptions } from '../types.ts';
import type { EncodedWrite } from './encode.ts';

const INSERT_TASK = `INSERT INTO tasks (id, run_id, kind, path, attempt, run_at, queue, priority, held, lease_owner, lease_token, lease_expires_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;

export class TaskWriter {
  readonly #sql: (text: string) => StatementSync;
  /** Per claim of the current transaction: whether older due tasks were already waiting. */
  readonly #backlog = new Map<ClaimOptions, boolean>();

  constructor(sql: (text: string) => StatementSync) {
    this.#sql = sql;
  }

  /** Call once per transaction, before its requests. */
  startBatch(): void {
    this.#backlog.clear();
  }

  #waiting(claim: ClaimOptions, now: number): boolean {
    const filters: string[] = [];
    const params: (string | number)[] = [now, now];
    if (claim.queues?.length) {
      filters.push(`AND queue IN (${claim.queues.map(() => '?').join(', ')})`);
      params.push(...claim.queues);
    }
    if (claim.kinds?.length) {
      filters.push(`AND kind IN (${claim.kinds.map(() => '?').join(', ')})`);
      params.push(...claim.kinds);
    }
    const sql = `SELECT 1 AS waiting FROM tasks WHERE held = 0 AND run_at <= ?
      AND (lease_expires_at IS NULL OR lease_expires_at <= ?) ${filters.join(' ')} LIMIT 1`;
    return this.#sql(sql).get(...params) !== undefined;
  }

  /** The claim to honour for this request, or undefined while older due tasks are waiting. */
  #handOff(claim: ClaimOptions | undefined, now: number): ClaimOptions | undefined {
    if (!claim) return undefined;
    let waiting = this.#backlog.get(claim);
    if (waiting === undefined) {
      waiting = this.#waiting(claim, now);
      this.#backlog.set(claim, waiting);
    }
    return waiting ? undefined : claim;
  }

  /** Applies a write's task changes; tasks leased by claim-on-insert are appended to `claimed`. */
  write(write: EncodedWrite, request: ClaimOptions | undefined, now: number, claimed: ClaimedTask[]): void {
    const { tasks, run } = write;
    if (tasks.removeAll) this.#sql('DELETE FROM tasks WHERE run_id = ?').run(run.id);
    if (tasks.remove.length > 0) {
      const del = this.#sql('DELETE FROM tasks WHERE id = ?');
      for (const id of tasks.remove) del.run(id);
    }
    if (tasks.insert.length > 0) {
      const insert = this.#sql(INSERT_TASK);
      const paused = run.status === 'paused';
      let claim = request;
      let checked = false;
      for (const task of tasks.insert) {
        const held = paused && task.runId === run.id && task.kind === 'step';
        let lease: ClaimOptions | undefined;
        if (claim && !held && claimed.length < claim.limit && claimable(task, claim, now)) {
          if (!checked) {
            checked = true;
            claim = this.#handOff(claim, now);
          }
          lease = claim;
        }
        const expires = lease ? now + lease.leaseMs : null;
        const inserted = insert.run(
          task.id,
          task.runId,
          task.kind,
          task.path,
          task.attempt,
          task.runAt,
          task.queue,
          task.priority,
          held ? 1 : 0,
          lease ? lease.owner : null,
          lease ? 1 : 0,
          expires,
        ).changes;
        if (lease && expires !== null && Number(inserted) > 0) {
          claimed.push({ ...task, owner: lease.owner, token: 1, leaseExpiresAt: expires });
        }
      }
    }
    if (tasks.hold !== undefined) {
      this.#sql("UPDATE tasks SET held = ? WHERE run_id = ? AND kind = 'step'").run(
        tasks.hold ? 1 : 0,
        run.id,
      );
    }
  }
}

function claimable(task: TaskSpec, claim: ClaimOptions, now: number): boolean {
  return (
    task.runAt <= now &&
    (!claim.kinds?.length || claim.kinds.includes(task.kind)) &&
    (!claim.queues?.length || claim.queues.includes(task.queue))
  );
}
