/**
 * Converts a value returned by user code into JSON, refusing what JSON.stringify would
 * silently lose or mangle (functions, NaN, Map, class instances, cycles) so a step output
 * recorded in history is exactly what the handler meant.
 */
import type { JsonValue } from '../errors.ts';

export class JsonConversionError extends Error {
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`${path || 'the value'} ${reason}`);
    this.name = 'JsonConversionError';
    this.path = path;
  }
}

/** `undefined` at the top becomes null; in objects it drops the key; in arrays it becomes null (as in JSON). */
export function toJsonValue(value: unknown): JsonValue {
  return convert(value, '', new Set());
}

function convert(value: unknown, path: string, ancestors: Set<object>): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value))
        throw new JsonConversionError(path, `is ${value}, which JSON cannot represent`);
      return value;
    case 'bigint':
      throw new JsonConversionError(path, 'is a BigInt; convert it to a number or string');
    case 'function':
    case 'symbol':
      throw new JsonConversionError(path, `is a ${typeof value}, which JSON cannot represent`);
  }
  const object = value as object;
  if (ancestors.has(object)) throw new JsonConversionError(path, 'refers back to itself (a cycle)');
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return convert(toJSON.call(object), path, ancestors);
  ancestors.add(object);
  try {
    if (Array.isArray(object)) return object.map((item, i) => convert(item, `${path}[${i}]`, ancestors));
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      const name = (object.constructor as { name?: string } | undefined)?.name ?? 'object';
      throw new JsonConversionError(
        path,
        `is a ${name} instance; return plain objects, arrays and primitives`,
      );
    }
    const result: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(object)) {
      if (item === undefined) continue;
      result[key] = convert(item, path ? `${path}.${key}` : key, ancestors);
    }
    return result;
  } finally {
    ancestors.delete(object);
  }
}
