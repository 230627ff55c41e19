import type { BaseNode } from './ast.ts';
import type { CompileContext, Evaluator, FunctionTable } from './compile-context.ts';
import { runtimeFault } from './failures.ts';
import type { Scope } from './types.ts';
import { typeName } from './values.ts';

/** Evaluates a list that may contain `...spread` entries into a fresh array. */
export type ListBuilder = (scope: Scope, functions: FunctionTable) => unknown[];

/** Spreading null or undefined adds nothing; spreading anything but an array is an error. */
export function spreadItems(value: unknown, where: string): readonly unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value;
  throw runtimeFault(`Cannot spread ${typeName(value)} into ${where}; only arrays can be spread there`);
}

/**
 * Compiles the elements of a call's arguments or an array literal. jsep accepts missing commas (`f(a b)`) and
 * array holes (`[1,,2]`); both are rejected here.
 */
export function compileList(
  nodes: ReadonlyArray<BaseNode | null>,
  owner: BaseNode,
  context: CompileContext,
  where: string,
): { evaluators: Evaluator[]; spread: boolean[]; build: ListBuilder } {
  const positions = context.positions;
  const evaluators: Evaluator[] = [];
  const spread: boolean[] = [];
  let previousEnd = -1;
  for (const node of nodes) {
    if (node === null)
      context.failAt('Empty element in list', previousEnd < 0 ? positions.startOf(owner) : previousEnd);
    if (previousEnd >= 0 && !positions.hasCommaBetween(previousEnd, positions.startOf(node))) {
      context.failAt('Expected ","', positions.startOf(node));
    }
    const isSpread = node.type === 'SpreadElement';
    evaluators.push(context.compile(isSpread ? (node.argument as BaseNode) : node));
    spread.push(isSpread);
    previousEnd = positions.endOf(node);
  }
  return { evaluators, spread, build: listBuilder(evaluators, spread, where) };
}

function listBuilder(
  evaluators: readonly Evaluator[],
  spread: readonly boolean[],
  where: string,
): ListBuilder {
  const count = evaluators.length;
  if (!spread.includes(true)) {
    return (scope, functions) => {
      const out = new Array<unknown>(count);
      for (let i = 0; i < count; i++) out[i] = evaluators[i](scope, functions);
      return out;
    };
  }
  return (scope, functions) => {
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const value = evaluators[i](scope, functions);
      if (spread[i]) for (const item of spreadItems(value, where)) out.push(item);
      else out.push(value);
    }
    return out;
  };
}
