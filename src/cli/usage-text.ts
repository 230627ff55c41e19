/** LLM usage as the CLI prints it: one line for a run or step, table cells for summaries. */
import type { Usage } from '../kinds/types.ts';

const count = new Intl.NumberFormat('en-US');

export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  return usd >= 0.01 ? `$${usd.toFixed(2)}` : `$${usd.toPrecision(2)}`;
}

export function formatCount(n: number): string {
  return count.format(n);
}

/** "3 calls, 1,200 input + 340 output tokens (1,024 cached, 100 cache writes), $0.0012, 2 cache hits". */
export function usageLine(usage: Usage): string {
  const cache = [];
  if (usage.cachedInputTokens > 0) cache.push(`${formatCount(usage.cachedInputTokens)} cached`);
  if (usage.cacheWriteInputTokens) cache.push(`${formatCount(usage.cacheWriteInputTokens)} cache writes`);
  const parts = [
    `${formatCount(usage.calls)} call${usage.calls === 1 ? '' : 's'}`,
    `${formatCount(usage.inputTokens)} input + ${formatCount(usage.outputTokens)} output tokens` +
      (cache.length > 0 ? ` (${cache.join(', ')})` : ''),
    formatUsd(usage.costUsd),
  ];
  if (usage.cacheHits)
    parts.push(`${formatCount(usage.cacheHits)} cache hit${usage.cacheHits === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** A short cell for step tables: "2 calls, 1,540 tok, $0.0011". */
export function usageCell(usage: Usage | undefined): string {
  if (!usage) return '';
  const tokens = usage.inputTokens + usage.outputTokens;
  const parts = [
    `${formatCount(usage.calls)} call${usage.calls === 1 ? '' : 's'}`,
    `${formatCount(tokens)} tok`,
  ];
  parts.push(formatUsd(usage.costUsd));
  if (usage.cacheHits) parts.push(`${formatCount(usage.cacheHits)} cached`);
  return parts.join(', ');
}
