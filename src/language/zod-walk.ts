/**
 * Looks inside zod schemas (including the step kinds' own schemas) to answer two questions
 * the error reporter and the expression checker need: which keys does the object at a path
 * accept (for did-you-mean), and what schema describes the value at a path.
 */
import type { z } from 'zod';
import type { IssuePath } from './issues.ts';

interface SchemaDefinition {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  getter?: () => z.ZodType;
}

function definitionOf(schema: unknown): SchemaDefinition | undefined {
  return (schema as { _zod?: { def?: SchemaDefinition } })?._zod?.def;
}

const WRAPPERS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'nonoptional',
  'readonly',
  'catch',
  'success',
]);

/** The schemas a value may be checked against once wrappers, pipes, lazies and unions are looked through. */
export function expand(schema: z.ZodType, seen = new Set<unknown>()): z.ZodType[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const definition = definitionOf(schema);
  if (!definition) return [schema];
  if (WRAPPERS.has(definition.type) && definition.innerType)
    return [schema, ...expand(definition.innerType, seen)];
  if (definition.type === 'pipe' && definition.in) return [schema, ...expand(definition.in, seen)];
  if (definition.type === 'lazy' && definition.getter) return [schema, ...expand(definition.getter(), seen)];
  if (definition.type === 'union' && definition.options) {
    return [schema, ...definition.options.flatMap((option) => expand(option, seen))];
  }
  if (definition.type === 'intersection' && definition.left && definition.right) {
    return [schema, ...expand(definition.left, seen), ...expand(definition.right, seen)];
  }
  return [schema];
}

/** Every schema that may describe the value at `path` below `schema`. */
export function schemasAt(schema: z.ZodType, path: IssuePath): z.ZodType[] {
  let current = expand(schema);
  for (const segment of path) {
    const next: z.ZodType[] = [];
    for (const candidate of current) {
      const definition = definitionOf(candidate);
      if (!definition) continue;
      if (definition.type === 'object' && definition.shape && typeof segment === 'string') {
        const field = definition.shape[segment];
        if (field) next.push(...expand(field));
      } else if (definition.type === 'record' && definition.valueType) {
        next.push(...expand(definition.valueType));
      } else if (definition.type === 'array' && definition.element && typeof segment === 'number') {
        next.push(...expand(definition.element));
      } else if (definition.type === 'tuple' && typeof segment === 'number') {
        const item = definition.items?.[segment] ?? definition.rest ?? undefined;
        if (item) next.push(...expand(item));
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

/** Keys accepted by the object schemas at `path` (for "did you mean"). */
export function knownKeysAt(schema: z.ZodType, path: IssuePath): string[] {
  const keys = new Set<string>();
  for (const candidate of schemasAt(schema, path)) {
    const definition = definitionOf(candidate);
    if (definition?.type === 'object' && definition.shape)
      for (const key of Object.keys(definition.shape)) keys.add(key);
  }
  return [...keys];
}
