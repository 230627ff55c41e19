import type { BaseNode } from './ast.ts';
import { EXPR_UNKNOWN_FUNCTION, EXPR_UNKNOWN_NAME, locatedError, syntaxError } from './failures.ts';
import type { NodePositions } from './parser.ts';
import type { ReferenceCollector } from './references.ts';
import { suggestionHint } from './suggest.ts';
import type { ExprFunction, Scope } from './types.ts';

export type FunctionTable = Record<string, ExprFunction> | undefined;

/** A compiled node: plain closures, so evaluation never walks the AST. */
export type Evaluator = (scope: Scope, functions: FunctionTable) => unknown;

/** Deepest AST nesting compiled; evaluation recursion mirrors it, so this also bounds the evaluation stack. */
const MAX_DEPTH = 500;

/** State of one compilation: where the text sits in the user's string, what names are allowed, what is read. */
export class CompileContext {
  readonly source: string;
  readonly offset: number;
  readonly positions: NodePositions;
  readonly allowedRoots: ReadonlySet<string> | null;
  readonly allowedFunctions: ReadonlySet<string> | null;
  readonly references: ReferenceCollector;
  readonly #compileNode: (node: BaseNode, context: CompileContext) => Evaluator;
  #depth = 0;

  constructor(init: {
    source: string;
    offset: number;
    positions: NodePositions;
    allowedRoots: ReadonlySet<string> | null;
    allowedFunctions: ReadonlySet<string> | null;
    references: ReferenceCollector;
    compileNode: (node: BaseNode, context: CompileContext) => Evaluator;
  }) {
    this.source = init.source;
    this.offset = init.offset;
    this.positions = init.positions;
    this.allowedRoots = init.allowedRoots;
    this.allowedFunctions = init.allowedFunctions;
    this.references = init.references;
    this.#compileNode = init.compileNode;
  }

  compile(node: BaseNode): Evaluator {
    this.positions.inheritChainStarts(node);
    if (++this.#depth > MAX_DEPTH)
      this.failAt('Expression is nested too deeply', this.positions.startOf(node));
    try {
      return this.#compileNode(node, this);
    } finally {
      this.#depth--;
    }
  }

  /** Throws EXPR_SYNTAX at `index` (0-based, inside the parsed text). */
  failAt(problem: string, index: number): never {
    throw syntaxError(problem, this.source, this.offset + index);
  }

  fail(problem: string, node: BaseNode): never {
    this.failAt(problem, this.positions.startOf(node));
  }

  unknownName(name: string, node: BaseNode, known: ReadonlySet<string>): never {
    const { hint, suggestion } = suggestionHint(name, known);
    throw locatedError(
      EXPR_UNKNOWN_NAME,
      `Unknown name "${name}"`,
      this.source,
      this.offset + this.positions.startOf(node),
      { name, ...(suggestion === undefined ? {} : { suggestion }) },
      hint,
    );
  }

  unknownFunction(name: string, node: BaseNode, known: ReadonlySet<string>): never {
    const { hint, suggestion } = suggestionHint(name, known);
    throw locatedError(
      EXPR_UNKNOWN_FUNCTION,
      `Unknown function "${name}"`,
      this.source,
      this.offset + this.positions.startOf(node),
      { name, ...(suggestion === undefined ? {} : { suggestion }) },
      hint,
    );
  }
}
