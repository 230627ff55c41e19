import type { Evaluator } from './compile-context.ts';
import { compileExpressionText, nameRules } from './compiler.ts';
import { syntaxError, withExpression } from './failures.ts';
import { mergeReferences, NO_REFERENCES } from './references.ts';
import { hasExpression, OPEN, splitTemplate } from './segments.ts';
import type {
  CompiledExpression,
  CompiledTemplate,
  CompileOptions,
  EvalOptions,
  ExprReferences,
  Scope,
} from './types.ts';
import { MAX_STRING_LENGTH, tooLong, toText } from './values.ts';

class Expression implements CompiledExpression, CompiledTemplate {
  readonly source: string;
  readonly references: ExprReferences;
  readonly isDynamic = true;
  readonly #text: string;
  readonly #run: Evaluator;

  constructor(source: string, text: string, run: Evaluator, references: ExprReferences) {
    this.source = source;
    this.#text = text;
    this.#run = run;
    this.references = references;
  }

  evaluate(scope: Scope, options?: EvalOptions): unknown {
    try {
      return this.#run(scope, options?.functions);
    } catch (error) {
      throw withExpression(error, this.#text);
    }
  }
}

class StaticTemplate implements CompiledTemplate {
  readonly source: string;
  readonly isDynamic = false;
  readonly references = NO_REFERENCES;

  constructor(source: string) {
    this.source = source;
  }

  evaluate(): unknown {
    return this.source;
  }
}

/** Text with one or more expressions: always evaluates to a string. */
class InterpolatedTemplate implements CompiledTemplate {
  readonly source: string;
  readonly isDynamic = true;
  readonly references: ExprReferences;
  readonly #parts: ReadonlyArray<string | Expression>;

  constructor(source: string, parts: ReadonlyArray<string | Expression>) {
    this.source = source;
    this.#parts = parts;
    this.references = mergeReferences(
      parts.filter((part) => typeof part !== 'string').map((part) => part.references),
    );
  }

  evaluate(scope: Scope, options?: EvalOptions): string {
    let out = '';
    for (const part of this.#parts) {
      out += typeof part === 'string' ? part : toText(part.evaluate(scope, options));
      if (out.length > MAX_STRING_LENGTH) {
        throw withExpression(tooLong('Interpolated string', out.length), this.source);
      }
    }
    return out;
  }
}

/**
 * Compiles a bare expression (`inputs.x > 3`) or one wrapped whole in `${{ }}`. Anything else containing
 * `${{` (text around it, several expressions) is a template, not an expression, and is rejected.
 */
export function compileExpression(source: string, options?: CompileOptions): CompiledExpression {
  const rules = nameRules(options);
  if (!hasExpression(source)) {
    const { run, references } = compileExpressionText(source, source, 0, rules);
    return new Expression(source, source.trim(), run, references);
  }
  const segments = splitTemplate(source);
  const only = segments.length === 1 ? segments[0] : undefined;
  if (only?.kind !== 'expression') {
    const problem = `Expected one expression, not text mixed with "${OPEN} }}"`;
    throw syntaxError(problem, source, source.indexOf(OPEN));
  }
  const { run, references } = compileExpressionText(only.text, source, only.offset, rules);
  return new Expression(source, only.text.trim(), run, references);
}

/**
 * Compiles a string that may contain `${{ }}`. A string that is exactly one `${{ … }}` evaluates to the raw
 * value (boolean, array, object…); text mixed with expressions evaluates to a string; no `${{` at all is static.
 */
export function compileTemplate(source: string, options?: CompileOptions): CompiledTemplate {
  if (!hasExpression(source)) return new StaticTemplate(source);
  const rules = nameRules(options);
  const segments = splitTemplate(source);
  const parts = segments.map((segment) => {
    if (segment.kind === 'text') return segment.text;
    const { run, references } = compileExpressionText(segment.text, source, segment.offset, rules);
    return new Expression(source, segment.text.trim(), run, references);
  });
  if (parts.length === 1 && typeof parts[0] !== 'string') return parts[0];
  return new InterpolatedTemplate(source, parts);
}
