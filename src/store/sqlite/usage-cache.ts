/**
 * The SQLite store's usage summaries (aggregated from the runs' JSON usage column) and its
 * LLM response cache table. Expiry is measured on the store's clock.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { JsonValue } from '../../errors.ts';
import type { UsageGroup, UsageQuery } from '../types.ts';
import { groupColumn, usageConditions, usageGroups } from '../usage-summary.ts';

type Row = Record<string, unknown>;
type Prepare = (text: string) => StatementSync;

const SUMS = [
  'calls',
  'inputTokens',
  'outputTokens',
  'cachedInputTokens',
  'cacheWriteInputTokens',
  'costUsd',
  'cacheHits',
];
const COLUMNS = [
  'calls',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cache_write_input_tokens',
  'cost_usd',
  'cache_hits',
];

export function sqliteUsageSummary(db: DatabaseSync, query: UsageQuery): UsageGroup[] {
  const params: (string | number)[] = [];
  const where = usageConditions(query, (value) => {
    params.push(value);
    return '?';
  });
  const sums = SUMS.map((field, i) => `SUM(json_extract(usage, '$.${field}')) AS ${COLUMNS[i]}`).join(', ');
  const sql = `SELECT ${groupColumn(query)} AS key, COUNT(*) AS runs, ${sums}
    FROM runs WHERE ${where.join(' AND ')} GROUP BY ${groupColumn(query)}`;
  return usageGroups(db.prepare(sql).all(...params) as Row[]);
}

export function getCached(sql: Prepare, key: string, now: number): JsonValue | undefined {
  const row = sql('SELECT value FROM llm_cache WHERE key = ? AND expires_at > ?').get(key, now) as
    | Row
    | undefined;
  return row ? (JSON.parse(String(row.value)) as JsonValue) : undefined;
}

export function putCached(sql: Prepare, key: string, value: JsonValue, ttlMs: number, now: number): void {
  sql(
    `INSERT INTO llm_cache (key, value, created_at, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at, expires_at = excluded.expires_at`,
  ).run(key, JSON.stringify(value), now, now + ttlMs);
}

export function pruneCached(sql: Prepare, now: number): number {
  return Number(sql('DELETE FROM llm_cache WHERE expires_at <= ?').run(now).changes);
}
