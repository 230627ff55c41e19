/**
 * Results of one run committed together (RunManager.mutate): what they share of a claim
 * and of the tasks it leased, and how each waiting caller is answered.
 */
import type { ClaimedTask, ClaimOptions } from '../store/types.ts';
import type { MutateOptions, MutateResult, Transition } from './run-manager.ts';

export interface QueuedResult {
  transition: Transition;
  options: MutateOptions;
  resolve(result: MutateResult): void;
  reject(error: unknown): void;
}

/**
 * One claim for the whole batch: each result's slot may take a follow-up task, so the
 * limits add up. Only when every result asks the same worker on the same terms; otherwise
 * none (claim-on-insert is optional, and the tasks are then claimed the ordinary way).
 */
export function mergedClaim(claims: readonly (ClaimOptions | undefined)[]): ClaimOptions | undefined {
  const [first] = claims;
  if (!first) return undefined;
  let limit = 0;
  for (const claim of claims) {
    if (
      !claim ||
      claim.owner !== first.owner ||
      claim.leaseMs !== first.leaseMs ||
      claim.queues !== first.queues ||
      claim.kinds !== first.kinds
    )
      return undefined;
    limit += claim.limit;
  }
  return { ...first, limit };
}

/** The leased tasks handed to each result in turn, up to its own claim's limit. */
export function shareClaimed(
  claimed: readonly ClaimedTask[],
  batch: readonly QueuedResult[],
): (ClaimedTask[] | undefined)[] {
  let next = 0;
  return batch.map((entry) => {
    const share = claimed.slice(next, next + (entry.options.claim?.limit ?? 0));
    next += share.length;
    return share.length > 0 ? share : undefined;
  });
}

/** Answers the caller waiting on `entry` with how `work` ends. */
export async function settle(entry: QueuedResult, work: Promise<MutateResult>): Promise<void> {
  try {
    entry.resolve(await work);
  } catch (error) {
    entry.reject(error);
  }
}
