import { arrayOrEmpty, expectNumber, optionalInteger } from './builtin-arguments.ts';
import type { BuiltinDefinition } from './builtin-definition.ts';
import { runtimeFault } from './failures.ts';
import { truthy, typeName } from './values.ts';

/** min()/max() accept numbers as separate arguments or one array of numbers; nothing to compare → null. */
function extreme(fn: 'min' | 'max', args: unknown[]): number | null {
  const numbers = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (numbers.length === 0) return null;
  let best = expectNumber(fn, 1, numbers[0]);
  for (let i = 1; i < numbers.length; i++) {
    const value = expectNumber(fn, i + 1, numbers[i]);
    if (Number.isNaN(value)) return Number.NaN;
    if (fn === 'min' ? value < best : value > best) best = value;
  }
  return best;
}

function sum(list: unknown): number {
  let total = 0;
  arrayOrEmpty('sum', 1, list).forEach((value) => {
    if (typeof value !== 'number') {
      throw runtimeFault(`sum() expects an array of numbers, found ${typeName(value)}`, { function: 'sum' });
    }
    total += value;
  });
  return total;
}

/** Rounds half away from zero at `digits` decimals, shifting by exponent text to avoid 1.005 → 1.00. */
function round(value: unknown, digits?: unknown): number {
  const x = expectNumber('round', 1, value);
  const places = optionalInteger('round', 2, digits, 0);
  if (places < -15 || places > 15) {
    throw runtimeFault(`round() digits must be between -15 and 15, got ${places}`, { function: 'round' });
  }
  if (!Number.isFinite(x)) return x;
  const magnitude = Math.abs(x);
  const text = String(magnitude);
  const rounded = text.includes('e')
    ? Math.round(magnitude * 10 ** places) / 10 ** places
    : Number(`${Math.round(Number(`${text}e${places}`))}e${-places}`);
  return x < 0 ? -rounded : rounded;
}

function number(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw runtimeFault(
    `number() cannot convert ${typeName(value)} ${JSON.stringify(value) ?? ''} to a number`.trim(),
    {
      function: 'number',
    },
  );
}

export const MATH_BUILTINS: readonly BuiltinDefinition[] = [
  { name: 'min', min: 0, max: Number.POSITIVE_INFINITY, call: (...args) => extreme('min', args) },
  { name: 'max', min: 0, max: Number.POSITIVE_INFINITY, call: (...args) => extreme('max', args) },
  { name: 'sum', min: 1, max: 1, call: sum },
  { name: 'round', min: 1, max: 2, call: round },
  { name: 'floor', min: 1, max: 1, call: (x) => Math.floor(expectNumber('floor', 1, x)) },
  { name: 'ceil', min: 1, max: 1, call: (x) => Math.ceil(expectNumber('ceil', 1, x)) },
  { name: 'abs', min: 1, max: 1, call: (x) => Math.abs(expectNumber('abs', 1, x)) },
  { name: 'number', min: 1, max: 1, call: number },
  { name: 'not', min: 1, max: 1, call: (x) => !truthy(x) },
];
