/**
 * Usage summaries shared by the SQL stores: the filter of a UsageQuery as SQL conditions
 * (placeholders chosen by each store) and the aggregated rows as UsageGroups, ordered the
 * same way on every store (most expensive first, then by key, runs without a tenant last).
 */
import type { Usage } from '../kinds/types.ts';
import type { UsageGroup, UsageQuery } from './types.ts';

type Row = Record<string, unknown>;

/** Conditions on the `runs` table for `query`; `param` returns the placeholder for a value. */
export function usageConditions(query: UsageQuery, param: (value: string | number) => string): string[] {
  const where = ['usage IS NOT NULL'];
  if (query.since !== undefined) where.push(`created_at >= ${param(query.since)}`);
  if (query.until !== undefined) where.push(`created_at < ${param(query.until)}`);
  if (query.workflow !== undefined) where.push(`workflow_name = ${param(query.workflow)}`);
  if (query.tenant !== undefined) where.push(`tenant = ${param(query.tenant)}`);
  if (query.excludeRun !== undefined) where.push(`id <> ${param(query.excludeRun)}`);
  return where;
}

export function groupColumn(query: UsageQuery): string {
  return query.groupBy === 'tenant' ? 'tenant' : 'workflow_name';
}

/**
 * Rows with columns key, runs, calls, input_tokens, output_tokens, cached_input_tokens,
 * cache_write_input_tokens, cost_usd, cache_hits.
 */
export function usageGroups(rows: readonly Row[]): UsageGroup[] {
  const groups = rows.map((row) => {
    const usage: Usage = {
      calls: count(row.calls),
      inputTokens: count(row.input_tokens),
      outputTokens: count(row.output_tokens),
      cachedInputTokens: count(row.cached_input_tokens),
      costUsd: Math.round(Number(row.cost_usd ?? 0) * 1e9) / 1e9,
    };
    const written = count(row.cache_write_input_tokens);
    if (written > 0) usage.cacheWriteInputTokens = written;
    const hits = count(row.cache_hits);
    if (hits > 0) usage.cacheHits = hits;
    return {
      key: row.key === null || row.key === undefined ? null : String(row.key),
      runs: count(row.runs),
      usage,
    };
  });
  return groups.sort(
    (a, b) =>
      b.usage.costUsd - a.usage.costUsd ||
      (a.key === null ? 1 : 0) - (b.key === null ? 1 : 0) ||
      (a.key ?? '').localeCompare(b.key ?? ''),
  );
}

function count(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}
