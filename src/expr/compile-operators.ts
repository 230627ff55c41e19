import type { BinaryNode, ConditionalNode, UnaryNode } from './ast.ts';
import type { CompileContext, Evaluator } from './compile-context.ts';
import { BINARY_OPERATORS, UNARY_OPERATORS } from './operators.ts';

export function compileUnary(node: UnaryNode, context: CompileContext): Evaluator {
  if (!Object.hasOwn(UNARY_OPERATORS, node.operator)) {
    context.fail(`Operator ${JSON.stringify(node.operator)} is not supported`, node);
  }
  const operand = context.compile(node.argument);
  if (node.operator === '!') return (scope, functions) => !operand(scope, functions);
  const apply = UNARY_OPERATORS[node.operator];
  return (scope, functions) => apply(operand(scope, functions));
}

export function compileBinary(node: BinaryNode, context: CompileContext): Evaluator {
  const operator = node.operator;
  const known =
    operator === '&&' || operator === '||' || operator === '??' || Object.hasOwn(BINARY_OPERATORS, operator);
  if (!known) {
    const at = context.positions.skipSpaces(context.positions.endOf(node.left));
    context.failAt(`Operator ${JSON.stringify(operator)} is not supported`, at);
  }
  const left = context.compile(node.left);
  const right = context.compile(node.right);
  switch (operator) {
    case '&&':
      return (scope, functions) => {
        const value = left(scope, functions);
        return value ? right(scope, functions) : value;
      };
    case '||':
      return (scope, functions) => {
        const value = left(scope, functions);
        return value ? value : right(scope, functions);
      };
    case '??':
      return (scope, functions) => {
        const value = left(scope, functions);
        return value !== null && value !== undefined ? value : right(scope, functions);
      };
    case '==':
    case '===':
      return (scope, functions) => left(scope, functions) === right(scope, functions);
    case '!=':
    case '!==':
      return (scope, functions) => left(scope, functions) !== right(scope, functions);
    default: {
      const apply = BINARY_OPERATORS[operator];
      return (scope, functions) => apply(left(scope, functions), right(scope, functions));
    }
  }
}

export function compileConditional(node: ConditionalNode, context: CompileContext): Evaluator {
  const test = context.compile(node.test);
  const consequent = context.compile(node.consequent);
  const alternate = context.compile(node.alternate);
  return (scope, functions) =>
    test(scope, functions) ? consequent(scope, functions) : alternate(scope, functions);
}
