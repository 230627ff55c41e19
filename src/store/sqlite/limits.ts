/**
 * Concurrency limits on SQLite. Claims run inside the store's write transaction, so counting
 * the leased tasks of each limited key and taking new leases cannot race another claimer:
 * the limits are exact. Limited step tasks are claimed first (cluster-wide slots are scarce),
 * then the unlimited ones with the ordinary claim plus `UNLIMITED_ONLY`.
 */
import type { StatementSync } from 'node:sqlite';
import { queueLimitKey, workflowLimitKey } from '../limits.ts';
import type { ClaimOptions } from '../types.ts';
import type { EncodedRequest } from './encode.ts';

type Row = Record<string, unknown>;
type Prepare = (text: string) => StatementSync;

/** A filter on `tasks` rows that keeps tasks no limit applies to. */
export const UNLIMITED_ONLY = `AND NOT (kind = 'step' AND EXISTS (SELECT 1 FROM concurrency_limits l
  WHERE l.key = 'queue:' || tasks.queue OR l.key = 'workflow:' || (SELECT r.workflow_name FROM runs r WHERE r.id = tasks.run_id)))`;

export function readLimits(sql: Prepare): Map<string, number> {
  const rows = sql('SELECT key, max_leased FROM concurrency_limits').all() as Row[];
  return new Map(rows.map((row) => [String(row.key), Number(row.max_leased)]));
}

/**
 * Leases due step tasks under limits, by priority then due time, while each of the task's
 * limited keys (queue, workflow) has room. Must run inside a write transaction.
 */
export function claimLimited(
  sql: Prepare,
  options: ClaimOptions,
  now: number,
  limits: ReadonlyMap<string, number>,
): Row[] {
  if (options.kinds?.length && !options.kinds.includes('step')) return [];
  const active = new Map<string, number>();
  const leased = sql(`SELECT 'queue:' || t.queue AS qk, 'workflow:' || r.workflow_name AS wk
    FROM tasks t JOIN runs r ON r.id = t.run_id
    WHERE t.kind = 'step' AND t.lease_owner IS NOT NULL AND t.lease_expires_at > ?`).all(now) as Row[];
  for (const row of leased) {
    for (const key of [String(row.qk), String(row.wk)])
      if (limits.has(key)) active.set(key, (active.get(key) ?? 0) + 1);
  }
  const queues = options.queues?.length ? options.queues : undefined;
  const candidates = sql(`SELECT t.id, t.queue, r.workflow_name FROM tasks t JOIN runs r ON r.id = t.run_id
    WHERE t.kind = 'step' AND t.held = 0 AND t.run_at <= ? AND (t.lease_expires_at IS NULL OR t.lease_expires_at <= ?)
    ORDER BY t.priority DESC, t.run_at`);
  const take = sql(`UPDATE tasks SET lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ?
    WHERE id = ? RETURNING *`);
  const claimed: Row[] = [];
  for (const row of candidates.iterate(now, now) as Iterable<Row>) {
    if (claimed.length >= options.limit) break;
    const queue = String(row.queue);
    if (queues && !queues.includes(queue)) continue;
    const keys = [queueLimitKey(queue), workflowLimitKey(String(row.workflow_name))].filter((key) =>
      limits.has(key),
    );
    if (keys.length === 0) continue;
    if (keys.some((key) => (active.get(key) ?? 0) >= (limits.get(key) ?? 0))) continue;
    for (const key of keys) active.set(key, (active.get(key) ?? 0) + 1);
    claimed.push(take.get(options.owner, now + options.leaseMs, row.id as string) as Row);
  }
  return claimed;
}

/**
 * Claim-on-insert would lease new tasks without counting: a commit whose run is limited, or
 * that inserts a step task of a limited queue, leaves its tasks to ordinary claims. `limits`
 * is read once per transaction (readLimits).
 */
export function withoutLimitedClaim(
  limits: ReadonlyMap<string, number>,
  request: EncodedRequest,
): EncodedRequest {
  if (!request.claim || limits.size === 0) return request;
  const touches = request.writes.some(
    (write) =>
      (limits.has(workflowLimitKey(write.run.workflowName)) && write.tasks.insert.length > 0) ||
      write.tasks.insert.some((task) => task.kind === 'step' && limits.has(queueLimitKey(task.queue))),
  );
  return touches ? { ...request, claim: undefined } : request;
}
