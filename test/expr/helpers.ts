import assert from 'node:assert/strict';
import { BatonError } from '../../src/errors.ts';
import {
  type CompileOptions,
  compileExpression,
  type EvalOptions,
  type Scope,
} from '../../src/expr/index.ts';

export function evaluate(source: string, scope: Scope = {}, options?: EvalOptions): unknown {
  return compileExpression(source).evaluate(scope, options);
}

/** Asserts `run` throws a non-retryable BatonError with `code` (and a message matching `message`); returns it. */
export function expectError(run: () => unknown, code: string, message?: RegExp): BatonError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof BatonError, `expected a BatonError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.retryable, false);
  if (message) assert.match(caught.message, message);
  return caught;
}

export function expectCompileError(source: string, code: string, message?: RegExp, options?: CompileOptions) {
  return expectError(() => compileExpression(source, options), code, message);
}

export function expectRuntimeError(
  source: string,
  message?: RegExp,
  scope: Scope = {},
  options?: EvalOptions,
) {
  const compiled = compileExpression(source);
  return expectError(() => compiled.evaluate(scope, options), 'EXPR_RUNTIME', message);
}
