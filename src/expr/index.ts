/**
 * Baton's expression language: `${{ … }}` templates with JavaScript operators, compiled once into closures
 * and evaluated against a scope object without access to globals, prototypes or methods.
 * See docs/expressions.md for the user-facing reference.
 */
export { BUILTIN_FUNCTIONS } from './builtins.ts';
export { EXPR_RUNTIME, EXPR_SYNTAX, EXPR_UNKNOWN_FUNCTION, EXPR_UNKNOWN_NAME } from './failures.ts';
export { MAX_EXPRESSION_LENGTH } from './parser.ts';
export { hasExpression } from './segments.ts';
export { compileExpression, compileTemplate } from './template.ts';
export type {
  CompiledExpression,
  CompiledTemplate,
  CompiledValue,
  CompileOptions,
  EvalOptions,
  ExprFunction,
  ExprReferences,
  Scope,
} from './types.ts';
export { compileValue } from './value-tree.ts';
export { MAX_STRING_LENGTH } from './values.ts';
