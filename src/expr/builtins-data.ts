import { arrayOrEmpty, expectInteger, expectString, objectOrEmpty } from './builtin-arguments.ts';
import type { BuiltinDefinition } from './builtin-definition.ts';
import { runtimeFault } from './failures.ts';
import {
  exposed,
  isPlainObject,
  readableKeys,
  setOwn,
  structuralKey,
  toJsonText,
  typeName,
} from './values.ts';

/** Largest array range() may build. */
export const MAX_RANGE_LENGTH = 100_000;

function length(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (isPlainObject(value)) return readableKeys(value).length;
  throw runtimeFault(`length() expects a string, an array or an object, got ${typeName(value)}`, {
    function: 'length',
  });
}

function fromJSON(text: unknown): unknown {
  const source = expectString('fromJSON', 1, text);
  try {
    return JSON.parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw runtimeFault(`fromJSON() got invalid JSON: ${reason}`, { function: 'fromJSON' });
  }
}

function toJSON(value: unknown, indent?: unknown): string {
  if (indent === undefined) return toJsonText(value);
  const spaces = expectInteger('toJSON', 2, indent);
  if (spaces < 0 || spaces > 10) {
    throw runtimeFault(`toJSON() indent must be between 0 and 10, got ${spaces}`, { function: 'toJSON' });
  }
  return toJsonText(value, spaces);
}

function coalesce(...values: unknown[]): unknown {
  for (const value of values) if (value !== null && value !== undefined) return value;
  return null;
}

function unique(list: unknown): unknown[] {
  const items = arrayOrEmpty('unique', 1, list);
  const seenPrimitives = new Set<unknown>();
  const seenStructures = new Set<string>();
  const out: unknown[] = [];
  for (const item of items) {
    const key = structuralKey(item);
    const seen = key === undefined ? seenPrimitives : seenStructures;
    const identity = key === undefined ? item : key;
    if (seen.has(identity)) continue;
    seen.add(identity);
    out.push(item);
  }
  return out;
}

function flatten(list: unknown): unknown[] {
  const items = arrayOrEmpty('flatten', 1, list);
  const out: unknown[] = [];
  for (const item of items) {
    if (Array.isArray(item)) for (const inner of item) out.push(inner);
    else out.push(item);
  }
  return out;
}

function merge(...objects: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  objects.forEach((object, index) => {
    const source = objectOrEmpty('merge', index + 1, object);
    for (const key of readableKeys(source)) setOwn(out, key, exposed(source[key]));
  });
  return out;
}

function range(first: unknown, second?: unknown): number[] {
  const start = second === undefined ? 0 : expectInteger('range', 1, first);
  const end = second === undefined ? expectInteger('range', 1, first) : expectInteger('range', 2, second);
  const count = Math.max(0, end - start);
  if (count > MAX_RANGE_LENGTH) {
    throw runtimeFault(`range() would build ${count} elements; the limit is ${MAX_RANGE_LENGTH}`, {
      function: 'range',
    });
  }
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = start + i;
  return out;
}

export const DATA_BUILTINS: readonly BuiltinDefinition[] = [
  { name: 'length', min: 1, max: 1, call: length },
  { name: 'keys', min: 1, max: 1, call: (object) => readableKeys(objectOrEmpty('keys', 1, object)) },
  {
    name: 'values',
    min: 1,
    max: 1,
    call: (object) => {
      const source = objectOrEmpty('values', 1, object);
      return readableKeys(source).map((key) => exposed(source[key]));
    },
  },
  { name: 'toJSON', min: 1, max: 2, call: toJSON },
  { name: 'fromJSON', min: 1, max: 1, call: fromJSON },
  { name: 'coalesce', min: 1, max: Number.POSITIVE_INFINITY, call: coalesce },
  { name: 'unique', min: 1, max: 1, call: unique },
  { name: 'flatten', min: 1, max: 1, call: flatten },
  { name: 'merge', min: 1, max: Number.POSITIVE_INFINITY, call: merge },
  { name: 'range', min: 1, max: 2, call: range },
];
