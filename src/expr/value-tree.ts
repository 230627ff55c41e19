import { BatonError } from '../errors.ts';
import { mergeReferences, NO_REFERENCES } from './references.ts';
import { compileTemplate } from './template.ts';
import type {
  CompiledTemplate,
  CompiledValue,
  CompileOptions,
  EvalOptions,
  ExprReferences,
  Scope,
} from './types.ts';
import { isPlainObject, setOwn } from './values.ts';

class StaticValue implements CompiledValue {
  readonly isDynamic = false;
  readonly references = NO_REFERENCES;
  readonly #value: unknown;

  constructor(value: unknown) {
    this.#value = value;
  }

  evaluate(): unknown {
    return this.#value;
  }
}

/** A dynamic string leaf; errors name the location of the string inside the tree. */
class TemplateValue implements CompiledValue {
  readonly isDynamic = true;
  readonly references: ExprReferences;
  readonly #template: CompiledTemplate;
  readonly #path: string;

  constructor(template: CompiledTemplate, path: string) {
    this.#template = template;
    this.#path = path;
    this.references = template.references;
  }

  evaluate(scope: Scope, options?: EvalOptions): unknown {
    try {
      return this.#template.evaluate(scope, options);
    } catch (error) {
      throw atPath(error, this.#path);
    }
  }
}

/** An array with at least one dynamic element; static elements are reused, not copied. */
class ArrayValue implements CompiledValue {
  readonly isDynamic = true;
  readonly references: ExprReferences;
  readonly #items: readonly CompiledValue[];

  constructor(items: readonly CompiledValue[]) {
    this.#items = items;
    this.references = mergeReferences(items.map((item) => item.references));
  }

  evaluate(scope: Scope, options?: EvalOptions): unknown[] {
    const items = this.#items;
    const out = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) out[i] = items[i].evaluate(scope, options);
    return out;
  }
}

/** An object with at least one dynamic property; static property values are reused, not copied. */
class ObjectValue implements CompiledValue {
  readonly isDynamic = true;
  readonly references: ExprReferences;
  readonly #keys: readonly string[];
  readonly #values: readonly CompiledValue[];

  constructor(keys: readonly string[], values: readonly CompiledValue[]) {
    this.#keys = keys;
    this.#values = values;
    this.references = mergeReferences(values.map((value) => value.references));
  }

  evaluate(scope: Scope, options?: EvalOptions): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) setOwn(out, keys[i], this.#values[i].evaluate(scope, options));
    return out;
  }
}

/**
 * Compiles every string in a JSON-like tree (plain objects and arrays) as a template. Evaluation returns a new
 * tree with templates evaluated; subtrees without expressions are returned as the very same objects.
 */
export function compileValue(value: unknown, options?: CompileOptions): CompiledValue {
  return compileAt(value, options, '');
}

function compileAt(value: unknown, options: CompileOptions | undefined, path: string): CompiledValue {
  if (typeof value === 'string') {
    let template: CompiledTemplate;
    try {
      template = compileTemplate(value, options);
    } catch (error) {
      throw atPath(error, path);
    }
    return template.isDynamic ? new TemplateValue(template, path) : new StaticValue(value);
  }
  if (Array.isArray(value)) {
    const items = value.map((item, index) => compileAt(item, options, `${path}[${index}]`));
    return items.some((item) => item.isDynamic) ? new ArrayValue(items) : new StaticValue(value);
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    const values = keys.map((key) => compileAt(value[key], options, joinPath(path, key)));
    return values.some((item) => item.isDynamic) ? new ObjectValue(keys, values) : new StaticValue(value);
  }
  return new StaticValue(value);
}

const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

function joinPath(path: string, key: string): string {
  if (PLAIN_KEY.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Adds where in the tree the failing string sits, once (the innermost leaf knows the full path). */
function atPath(error: unknown, path: string): unknown {
  if (!(error instanceof BatonError) || path === '' || 'path' in error.details) return error;
  return new BatonError(error.code, `${error.message} (at ${path})`, {
    retryable: error.retryable,
    details: { ...error.details, path },
    cause: error.cause,
  });
}
