/**
 * Commits that survive a database that drops connections or restarts. When a commit fails
 * with STORE_UNAVAILABLE its outcome is unknown: the transaction may have committed just
 * before the connection died. Before trying again we look: a write is ours when the events
 * after its expected sequence number are exactly the events we sent (nobody else can
 * append those sequence numbers first and still match them byte for byte). If they are
 * there, the commit happened and we say so, recovering any tasks it leased to us. If not,
 * trying again is safe: the sequence-number check, the lease check and deterministic task
 * ids make a repeated commit answer `conflict`/`stale-lease` instead of writing twice.
 */
import { BatonError } from '../errors.ts';
import type { ClaimedTask, CommitRequest, CommitResult, Store } from '../store/types.ts';

/** How long a commit keeps retrying against an unreachable database before giving up. */
export const DEFAULT_COMMIT_RETRY_MS = 30_000;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 2_000;

export function isStoreUnavailable(error: unknown): boolean {
  return error instanceof BatonError && error.code === 'STORE_UNAVAILABLE';
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `store.commit` that retries STORE_UNAVAILABLE for up to `budgetMs`, never writing twice. */
export async function commitResolvingUnknown(
  store: Store,
  request: CommitRequest,
  budgetMs = DEFAULT_COMMIT_RETRY_MS,
): Promise<CommitResult> {
  const deadline = Date.now() + budgetMs;
  let wait = FIRST_DELAY_MS;
  let unknown = false;
  for (;;) {
    try {
      if (unknown) {
        const settled = await committedBefore(store, request);
        if (settled) return settled;
      }
      return await store.commit(request);
    } catch (error) {
      if (!isStoreUnavailable(error) || Date.now() + wait > deadline) throw error;
      unknown = true;
      await delay(wait);
      wait = Math.min(MAX_DELAY_MS, wait * 2);
    }
  }
}

/** The result of an earlier attempt of `request` if it is known to have committed; undefined to try again. */
async function committedBefore(store: Store, request: CommitRequest): Promise<CommitResult | undefined> {
  const write = request.writes[0];
  if (write) {
    const after = await store.loadEvents(write.runId, write.expectedSeq);
    const ours =
      after.length >= write.events.length &&
      write.events.every((event, i) => JSON.stringify(after[i]) === JSON.stringify(event));
    if (!ours) return undefined;
    const claimed = await recoverClaims(store, request);
    return claimed.length > 0 ? { ok: true, claimed } : { ok: true };
  }
  // Only completing a task: once it is gone there is nothing left to write.
  if (request.complete && !(await store.getTask(request.complete.taskId))) return { ok: true };
  return undefined;
}

/** Tasks the lost attempt leased to the committer (claim-on-insert), with their fencing tokens. */
async function recoverClaims(store: Store, request: CommitRequest): Promise<ClaimedTask[]> {
  const claim = request.claim;
  if (!claim) return [];
  const claimed: ClaimedTask[] = [];
  for (const write of request.writes) {
    for (const spec of write.tasks.insert) {
      if (claimed.length >= claim.limit) return claimed;
      const task = await store.getTask(spec.id);
      if (task?.owner !== claim.owner) continue;
      claimed.push({
        ...spec,
        owner: claim.owner,
        token: task.token,
        leaseExpiresAt: Date.now() + claim.leaseMs,
      });
    }
  }
  return claimed;
}
