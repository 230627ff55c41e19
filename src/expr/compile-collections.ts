import type { ArrayNode, BaseNode, IdentifierNode, ObjectNode, PropertyNode } from './ast.ts';
import { compileList } from './compile-arguments.ts';
import type { CompileContext, Evaluator } from './compile-context.ts';
import { runtimeFault } from './failures.ts';
import { exposed, isPlainObject, readableKeys, setOwn, typeName } from './values.ts';

export function compileArray(node: ArrayNode, context: CompileContext): Evaluator {
  return compileList(node.elements, node, context, 'an array').build;
}

/** How one entry of an object literal contributes to the new object. */
type EntryWriter = (target: Record<string, unknown>, ...rest: Parameters<Evaluator>) => void;

/**
 * Object literals build fresh plain objects. Keys are names, string or number literals, or `[computed]`
 * strings/numbers; `...spread` copies the readable own properties of a plain object (null/undefined add nothing).
 * A `__proto__` key becomes an ordinary own property, never a prototype change.
 */
export function compileObject(node: ObjectNode, context: CompileContext): Evaluator {
  const positions = context.positions;
  const writers: EntryWriter[] = [];
  let previousEnd = -1;
  for (const entry of node.properties) {
    const entryStart = positions.startOf(entry.type === 'Property' ? (entry as PropertyNode).key : entry);
    if (previousEnd >= 0 && !positions.hasCommaBetween(previousEnd, entryStart)) {
      context.failAt('Expected ","', entryStart);
    }
    if (entry.type === 'Property') {
      writers.push(compileProperty(entry as PropertyNode, context));
      previousEnd = positions.endOf((entry as PropertyNode).value);
    } else if (entry.type === 'SpreadElement') {
      const source = context.compile(entry.argument as BaseNode);
      writers.push((target, scope, functions) => spreadInto(target, source(scope, functions)));
      previousEnd = positions.endOf(entry);
    } else {
      context.fail('Expected "key: value" in object literal', entry);
    }
  }
  const count = writers.length;
  return (scope, functions) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) writers[i](out, scope, functions);
    return out;
  };
}

function compileProperty(property: PropertyNode, context: CompileContext): EntryWriter {
  const value = context.compile(property.value);
  const key = property.key;
  if (property.computed) {
    const after = context.positions.skipSpaces(context.positions.endOf(key));
    if (context.positions.charAt(after) !== ']') context.failAt('Expected "]"', after);
    const computeKey = context.compile(key);
    return (target, scope, functions) => {
      setOwn(target, propertyName(computeKey(scope, functions)), value(scope, functions));
    };
  }
  let name: string;
  if (key.type === 'Identifier') name = (key as IdentifierNode).name;
  else if (key.type === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')) {
    name = String(key.value);
  } else context.fail('Object keys must be names, strings, numbers or [computed]', key);
  return (target, scope, functions) => setOwn(target, name, value(scope, functions));
}

function propertyName(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  throw runtimeFault(`Object key must be a string or a number, got ${typeName(key)}`);
}

function spreadInto(target: Record<string, unknown>, source: unknown): void {
  if (source === null || source === undefined) return;
  if (!isPlainObject(source)) {
    throw runtimeFault(`Cannot spread ${typeName(source)} into an object; only objects can be spread there`);
  }
  for (const key of readableKeys(source)) setOwn(target, key, exposed(source[key]));
}
