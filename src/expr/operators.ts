import { concat, toNumber, toText, truthy } from './values.ts';

/**
 * Operator semantics. `==`/`!=` are strict (no coercion); `+` concatenates when either side is a string
 * (using interpolation conversion) and otherwise adds numbers; other arithmetic converts with `toNumber`,
 * which never runs code on objects. `&&`, `||`, `??` and `?:` short-circuit and live in the compiler.
 */
export type BinaryOperator = (left: unknown, right: unknown) => unknown;
export type UnaryOperator = (operand: unknown) => unknown;

function add(left: unknown, right: unknown): unknown {
  if (typeof left === 'number' && typeof right === 'number') return left + right;
  if (typeof left === 'string' || typeof right === 'string')
    return concat(toText(left), toText(right), 'String');
  return toNumber(left) + toNumber(right);
}

function bothStrings(left: unknown, right: unknown): boolean {
  return typeof left === 'string' && typeof right === 'string';
}

export const BINARY_OPERATORS: Readonly<Record<string, BinaryOperator>> = {
  '+': add,
  '-': (left, right) => toNumber(left) - toNumber(right),
  '*': (left, right) => toNumber(left) * toNumber(right),
  '/': (left, right) => toNumber(left) / toNumber(right),
  '%': (left, right) => toNumber(left) % toNumber(right),
  '**': (left, right) => toNumber(left) ** toNumber(right),
  '==': (left, right) => left === right,
  '===': (left, right) => left === right,
  '!=': (left, right) => left !== right,
  '!==': (left, right) => left !== right,
  '<': (left, right) =>
    bothStrings(left, right) ? (left as string) < (right as string) : toNumber(left) < toNumber(right),
  '<=': (left, right) =>
    bothStrings(left, right) ? (left as string) <= (right as string) : toNumber(left) <= toNumber(right),
  '>': (left, right) =>
    bothStrings(left, right) ? (left as string) > (right as string) : toNumber(left) > toNumber(right),
  '>=': (left, right) =>
    bothStrings(left, right) ? (left as string) >= (right as string) : toNumber(left) >= toNumber(right),
};

/** Operators compiled with short-circuit evaluation rather than through BINARY_OPERATORS. */
export const LOGICAL_OPERATORS: ReadonlySet<string> = new Set(['&&', '||', '??']);

export const UNARY_OPERATORS: Readonly<Record<string, UnaryOperator>> = {
  '-': (operand) => -toNumber(operand),
  '+': (operand) => toNumber(operand),
  '!': (operand) => !truthy(operand),
};
