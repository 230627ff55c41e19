import { runtimeFault } from './failures.ts';
import { isPlainObject, typeName } from './values.ts';

/** Argument checks shared by the built-ins; each failure is EXPR_RUNTIME naming function, position and type. */

function wrongType(fn: string, position: number, expected: string, value: unknown): never {
  throw runtimeFault(`${fn}() expects ${expected} as argument ${position}, got ${typeName(value)}`, {
    function: fn,
  });
}

export function expectString(fn: string, position: number, value: unknown): string {
  return typeof value === 'string' ? value : wrongType(fn, position, 'a string', value);
}

/** A string subject where null/undefined count as ''. */
export function stringOrEmpty(fn: string, position: number, value: unknown): string {
  if (value === null || value === undefined) return '';
  return expectString(fn, position, value);
}

/** An array subject where null/undefined count as []. */
export function arrayOrEmpty(fn: string, position: number, value: unknown): readonly unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : wrongType(fn, position, 'an array', value);
}

/** An object subject where null/undefined count as {}. */
export function objectOrEmpty(fn: string, position: number, value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  return isPlainObject(value) ? value : wrongType(fn, position, 'an object', value);
}

export function expectNumber(fn: string, position: number, value: unknown): number {
  return typeof value === 'number' ? value : wrongType(fn, position, 'a number', value);
}

export function expectInteger(fn: string, position: number, value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value)
    ? value
    : wrongType(fn, position, 'an integer', value);
}

export function optionalInteger(fn: string, position: number, value: unknown, fallback: number): number {
  return value === undefined ? fallback : expectInteger(fn, position, value);
}

export function expectArgumentCount(fn: string, count: number, min: number, max: number): void {
  if (count < min || count > max) {
    const expected =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    throw runtimeFault(`${fn}() takes ${expected} argument${expected === '1' ? '' : 's'}, got ${count}`, {
      function: fn,
    });
  }
}
