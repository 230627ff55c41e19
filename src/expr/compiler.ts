import type {
  ArrayNode,
  BaseNode,
  BinaryNode,
  CallNode,
  CompoundNode,
  ConditionalNode,
  IdentifierNode,
  MemberNode,
  ObjectNode,
  UnaryNode,
} from './ast.ts';
import { compileCall } from './compile-calls.ts';
import { compileArray, compileObject } from './compile-collections.ts';
import { CompileContext, type Evaluator } from './compile-context.ts';
import { compileIdentifier, compileMember } from './compile-members.ts';
import { compileBinary, compileConditional, compileUnary } from './compile-operators.ts';
import { parseExpression } from './parser.ts';
import { ReferenceCollector } from './references.ts';
import type { CompileOptions, ExprReferences } from './types.ts';

export interface CompiledAst {
  readonly run: Evaluator;
  readonly references: ExprReferences;
}

/** Names and functions a compilation accepts, precomputed once per CompileOptions object. */
export interface NameRules {
  readonly roots: ReadonlySet<string> | null;
  readonly functions: ReadonlySet<string> | null;
}

export function nameRules(options: CompileOptions | undefined): NameRules {
  return {
    roots: options?.roots ? new Set(options.roots) : null,
    functions: options?.functions ? new Set(options.functions) : null,
  };
}

/**
 * Parses and compiles the text of one expression (the inside of `${{ }}`), which starts at `offset` in the
 * user's `source` string (used for error columns).
 */
export function compileExpressionText(
  text: string,
  source: string,
  offset: number,
  rules: NameRules,
  references = new ReferenceCollector(),
): CompiledAst {
  const { ast, positions } = parseExpression(text, source, offset);
  const context = new CompileContext({
    source,
    offset,
    positions,
    allowedRoots: rules.roots,
    allowedFunctions: rules.functions,
    references,
    compileNode,
  });
  const run = context.compile(ast);
  return { run, references: references.toReferences() };
}

function compileNode(node: BaseNode, context: CompileContext): Evaluator {
  switch (node.type) {
    case 'Literal':
      return compileLiteral(node, context);
    case 'Identifier':
      return compileIdentifier(node as IdentifierNode, context);
    case 'MemberExpression':
      return compileMember(node as MemberNode, context);
    case 'CallExpression':
      return compileCall(node as CallNode, context);
    case 'UnaryExpression':
      return compileUnary(node as UnaryNode, context);
    case 'BinaryExpression':
      return compileBinary(node as BinaryNode, context);
    case 'ConditionalExpression':
      return compileConditional(node as ConditionalNode, context);
    case 'ArrayExpression':
      return compileArray(node as ArrayNode, context);
    case 'ObjectExpression':
      return compileObject(node as ObjectNode, context);
    case 'Compound':
      return rejectSequence((node as CompoundNode).body, context);
    case 'SequenceExpression':
      return rejectSequence(node.expressions as BaseNode[], context);
    case 'ThisExpression':
      return context.fail('"this" is not available in expressions', node);
    case 'SpreadElement':
      return context.fail('Spread ("...") is only allowed in arrays, objects and function arguments', node);
    default:
      return context.fail(`Unsupported syntax (${node.type})`, node);
  }
}

function compileLiteral(node: BaseNode, context: CompileContext): Evaluator {
  const value = node.value;
  if (
    value !== null &&
    typeof value !== 'string' &&
    typeof value !== 'number' &&
    typeof value !== 'boolean'
  ) {
    context.fail('Unsupported literal', node);
  }
  return () => value;
}

/** jsep turns `a b`, `a, b` and `a; b` into sequences; an expression is exactly one value. */
function rejectSequence(body: readonly BaseNode[], context: CompileContext): never {
  if (body.length === 0) context.failAt('Empty expression', 0);
  const at = context.positions.skipSpaces(context.positions.endOf(body[0]));
  context.failAt(`Unexpected token ${JSON.stringify(context.positions.tokenAt(at))}`, at);
}
