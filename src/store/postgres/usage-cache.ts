/**
 * The PostgreSQL store's usage summaries (aggregated from the runs' jsonb usage column) and
 * its LLM response cache table. Expiry is measured on the database's clock.
 */
import type { UsageQuery } from '../types.ts';
import { groupColumn, usageConditions } from '../usage-summary.ts';
import { DB_NOW_MS } from './sql-clock.ts';

const SUMS: [string, string, string][] = [
  ['calls', 'calls', 'bigint'],
  ['inputTokens', 'input_tokens', 'bigint'],
  ['outputTokens', 'output_tokens', 'bigint'],
  ['cachedInputTokens', 'cached_input_tokens', 'bigint'],
  ['cacheWriteInputTokens', 'cache_write_input_tokens', 'bigint'],
  ['costUsd', 'cost_usd', 'float8'],
  ['cacheHits', 'cache_hits', 'bigint'],
];

export function usageSummarySql(s: string, query: UsageQuery): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const where = usageConditions(query, (value) => {
    params.push(value);
    return `$${params.length}`;
  });
  const sums = SUMS.map(([field, column, type]) => `SUM((usage->>'${field}')::${type}) AS ${column}`).join(
    ', ',
  );
  return {
    text: `SELECT ${groupColumn(query)} AS key, COUNT(*) AS runs, ${sums}
      FROM ${s}.runs WHERE ${where.join(' AND ')} GROUP BY ${groupColumn(query)}`,
    params,
  };
}

export function cacheStatements(s: string) {
  return {
    get: `SELECT value FROM ${s}.llm_cache WHERE key = $1 AND expires_at > ${DB_NOW_MS}`,
    put: `INSERT INTO ${s}.llm_cache (key, value, created_at, expires_at) VALUES ($1, $2::json, ${DB_NOW_MS}, ${DB_NOW_MS} + $3)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at, expires_at = excluded.expires_at`,
    prune: `DELETE FROM ${s}.llm_cache WHERE expires_at <= ${DB_NOW_MS}`,
  };
}
