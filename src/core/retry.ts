/**
 * Retry decisions. Jitter must not use a random source inside the pure core, so it is
 * derived from a hash of (run, step path, attempt): spread across runs like random
 * jitter, yet the same on every replay. The chosen time is recorded in history anyway.
 */
import type { SerializedError } from '../errors.ts';
import type { RetryPolicy } from '../language/model.ts';

export function shouldRetry(policy: RetryPolicy, attempt: number, error: SerializedError): boolean {
  if (attempt >= policy.attempts) return false;
  if (!error.retryable) return false;
  return !policy.nonRetryable.includes(error.code);
}

/** Delay before attempt `attempt + 1`, in ms. */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  seed: string,
  error?: SerializedError,
): number {
  let base: number;
  switch (policy.backoff) {
    case 'fixed':
      base = policy.delay;
      break;
    case 'linear':
      base = policy.delay * attempt;
      break;
    default:
      base = policy.delay * policy.factor ** (attempt - 1);
  }
  base = Math.min(base, policy.maxDelay);
  const unit = hashUnit(`${seed}#${attempt}`);
  let delay = base;
  if (policy.jitter === 'full') delay = base * unit;
  else if (policy.jitter === 'equal') delay = base / 2 + (base / 2) * unit;
  const hinted = Number(error?.details?.retryAfterMs);
  if (Number.isFinite(hinted) && hinted > delay) delay = Math.min(hinted, Math.max(policy.maxDelay, hinted));
  return Math.round(delay);
}

/** FNV-1a over the string, mapped to [0, 1). */
function hashUnit(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x100000000;
}
