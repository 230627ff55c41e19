import { runtimeFault } from './failures.ts';

/** Upper bound on any string an expression builds (concatenation, format, join, interpolation, toJSON). */
export const MAX_STRING_LENGTH = 10 * 1024 * 1024;

/** Names never readable, even as own properties: they lead to prototypes and constructors. */
const BLOCKED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const OBJECT_PROTOTYPE = Object.prototype;

/**
 * Plain data objects: `{}` literals, JSON.parse output, Object.create(null), and objects whose prototype is
 * another realm's Object.prototype (its own prototype is null). Class instances, Maps, Dates… are not.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === OBJECT_PROTOTYPE || proto === null || Object.getPrototypeOf(proto) === null;
}

/** Functions are never data: reading one yields undefined, so no expression can hold or call it. */
export function exposed(value: unknown): unknown {
  return typeof value === 'function' ? undefined : value;
}

/** Plain comparisons: cheaper than a Set lookup on the dynamic-key path. */
function isBlocked(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

/** Reads an own property of a scope object (identifier resolution). */
export function readScope(scope: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(scope, name) ? exposed(scope[name]) : undefined;
}

/** Array index from a number or a canonical integer string ("3", not "03" or "3.0"); -1 otherwise. */
function arrayIndex(key: unknown): number {
  if (typeof key === 'number') return Number.isInteger(key) ? key : -1;
  if (typeof key === 'string' && key.length > 0 && key.length < 16 && String(Number(key)) === key) {
    const index = Number(key);
    return Number.isInteger(index) ? index : -1;
  }
  return -1;
}

/**
 * The only way expressions read data: own properties of plain objects, indices and `length` of arrays,
 * `length` of strings. Everything else — null/undefined targets, inherited or blocked names, functions —
 * is undefined, so member access never throws and never escapes the data.
 */
export function readProperty(target: unknown, key: unknown): unknown {
  if (target === null || typeof target !== 'object') {
    return typeof target === 'string' && key === 'length' ? target.length : undefined;
  }
  if (Array.isArray(target)) {
    if (key === 'length') return target.length;
    const index = arrayIndex(key);
    return index >= 0 && index < target.length ? exposed(target[index]) : undefined;
  }
  const name = typeof key === 'string' ? key : typeof key === 'number' ? String(key) : undefined;
  if (name === undefined || isBlocked(name) || !isPlainObject(target) || !Object.hasOwn(target, name)) {
    return undefined;
  }
  return exposed(target[name]);
}

/**
 * readProperty specialised for a key known at compile time to be an ordinary name (not blocked, not `length`,
 * not an array index): the hot path of `steps.fetch.output.docs`.
 */
export function readNamed(target: unknown, name: string): unknown {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return undefined;
  const proto = Object.getPrototypeOf(target);
  if (proto !== OBJECT_PROTOTYPE && proto !== null && Object.getPrototypeOf(proto) !== null) return undefined;
  const value = (target as Record<string, unknown>)[name];
  if (value === undefined || typeof value === 'function' || !Object.hasOwn(target, name)) return undefined;
  return value;
}

/** The reader for a key known at compile time, chosen once so evaluation skips the key classification. */
export function keyReader(key: string | number): (target: unknown) => unknown {
  if (typeof key === 'string' && key !== 'length' && !BLOCKED_KEYS.has(key) && arrayIndex(key) < 0) {
    return (target) => readNamed(target, key);
  }
  if (typeof key === 'string' && BLOCKED_KEYS.has(key)) return () => undefined;
  return (target) => readProperty(target, key);
}

/** Own enumerable string keys that expressions may read. */
export function readableKeys(target: Record<string, unknown>): string[] {
  const keys = Object.keys(target);
  return keys.some((key) => BLOCKED_KEYS.has(key)) ? keys.filter((key) => !BLOCKED_KEYS.has(key)) : keys;
}

/** Assigns without ever invoking the `__proto__` setter (which would swap the object's prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** JavaScript truthiness: false, 0, NaN, '', null and undefined are falsy; everything else (even []) is truthy. */
export function truthy(value: unknown): boolean {
  return Boolean(value);
}

/**
 * Numeric conversion for arithmetic and comparison. Matches JavaScript for primitives but never calls
 * valueOf/toString on objects (objects and arrays are NaN).
 */
export function toNumber(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'string':
      return Number(value);
    default:
      return value === null ? 0 : Number.NaN;
  }
}

/** Interpolation conversion: strings as-is, null/undefined → '', objects/arrays → JSON, others via String(). */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return toJsonText(value);
  return String(value);
}

export function toJsonText(value: unknown, indent?: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value === undefined ? null : value, null, indent);
  } catch (error) {
    throw runtimeFault(
      `Cannot convert value to JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return checkLength(text ?? 'null', 'JSON text');
}

export function tooLong(what: string, length: number): Error {
  return runtimeFault(`${what} is too long (${length} characters; the limit is ${MAX_STRING_LENGTH})`);
}

export function checkLength(text: string, what: string): string {
  if (text.length > MAX_STRING_LENGTH) throw tooLong(what, text.length);
  return text;
}

/** Concatenates two strings, failing before the result exceeds the string limit. */
export function concat(left: string, right: string, what: string): string {
  if (left.length + right.length > MAX_STRING_LENGTH) throw tooLong(what, left.length + right.length);
  return left + right;
}

/**
 * Identity used by unique() and contains(): primitives compare by value (NaN equals NaN), objects and arrays
 * by their JSON text. Returns that text for objects and arrays, undefined for primitives.
 */
export function structuralKey(value: unknown): string | undefined {
  return value !== null && typeof value === 'object' ? toJsonText(value) : undefined;
}

/** Short name of a value's type, for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
