/** Public shapes of the expression language; implementation lives in the sibling modules. */

/** A function callable from expressions. Receives evaluated arguments; must not rely on `this`. */
export type ExprFunction = (...args: unknown[]) => unknown;

export interface EvalOptions {
  /**
   * Extra functions supplied per evaluation (e.g. `always()`, `success()`, `failure()`, `cancelled()`, which
   * depend on scheduler state). They add names; they never replace a built-in of the same name.
   */
  functions?: Record<string, ExprFunction>;
}

export interface CompileOptions {
  /** When given, any other top-level identifier is a compile error (EXPR_UNKNOWN_NAME). */
  roots?: readonly string[];
  /** When given, calling a name that is neither built in nor listed is a compile error (EXPR_UNKNOWN_FUNCTION). */
  functions?: readonly string[];
}

/** What an expression reads, found statically at compile time. Arrays are frozen and de-duplicated. */
export interface ExprReferences {
  /** Top-level identifiers used (`inputs`, `steps`, `item`, …), in order of first use. */
  roots: string[];
  /** Step ids used as `steps.<id>` or `steps['<id>']` with a literal key. */
  steps: string[];
  /** Names of the functions called (built-in or caller-supplied). */
  functions: string[];
}

export type Scope = Record<string, unknown>;

export interface CompiledExpression {
  readonly source: string;
  readonly references: ExprReferences;
  evaluate(scope: Scope, options?: EvalOptions): unknown;
}

export interface CompiledTemplate {
  readonly source: string;
  /** False when the string holds no `${{ }}`: evaluate then returns `source` itself. */
  readonly isDynamic: boolean;
  readonly references: ExprReferences;
  evaluate(scope: Scope, options?: EvalOptions): unknown;
}

export interface CompiledValue {
  readonly isDynamic: boolean;
  readonly references: ExprReferences;
  evaluate(scope: Scope, options?: EvalOptions): unknown;
}
