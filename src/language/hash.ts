import { createHash } from 'node:crypto';
import type { WorkflowDefinition } from './model.ts';

/**
 * Content hash of a normalised definition: sha256 of its canonical JSON (keys sorted, undefined left out),
 * so the same workflow written with keys in another order or with other formatting hashes the same.
 */
export function hashDefinition(definition: WorkflowDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
