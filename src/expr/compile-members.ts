import type { BaseNode, IdentifierNode, MemberNode } from './ast.ts';
import type { CompileContext, Evaluator } from './compile-context.ts';
import { keyReader, readProperty, readScope } from './values.ts';

/** The key of `a.b`, `a['b']` or `a[0]` when known at compile time; undefined when computed at run time. */
function staticKey(node: MemberNode): string | number | undefined {
  if (!node.computed) return (node.property as IdentifierNode).name;
  const property = node.property;
  if (
    property.type === 'Literal' &&
    (typeof property.value === 'string' || typeof property.value === 'number')
  ) {
    return property.value;
  }
  return undefined;
}

/** A root identifier: checked against the allowed roots, recorded, and read from the scope's own properties. */
export function compileIdentifier(
  node: IdentifierNode,
  context: CompileContext,
  at: BaseNode = node,
): Evaluator {
  const name = node.name;
  if (name === 'undefined') return () => undefined;
  if (context.allowedRoots !== null && !context.allowedRoots.has(name)) {
    context.unknownName(name, at, context.allowedRoots);
  }
  context.references.addRoot(name);
  return (scope) => readScope(scope, name);
}

/**
 * Member access. Chains of static keys off an identifier (`steps.fetch.output.docs`) compile to one closure
 * that walks a precomputed key list; anything else composes per-link closures.
 */
export function compileMember(node: MemberNode, context: CompileContext): Evaluator {
  const keys: Array<string | number> = [];
  let link: BaseNode = node;
  while (link.type === 'MemberExpression') {
    const key = staticKey(link as MemberNode);
    if (key === undefined) break;
    keys.unshift(key);
    link = (link as MemberNode).object;
  }
  if (link.type === 'Identifier' && keys.length > 0) {
    const root = compileIdentifier(link as IdentifierNode, context, node);
    const rootName = (link as IdentifierNode).name;
    if (rootName === 'steps' && typeof keys[0] === 'string') context.references.addStep(keys[0]);
    return compileKeyPath(root, keys);
  }
  const object = context.compile(node.object);
  const key = staticKey(node);
  if (key !== undefined) {
    const read = keyReader(key);
    return (scope, functions) => read(object(scope, functions));
  }
  const property = context.compile(node.property);
  return (scope, functions) => readProperty(object(scope, functions), property(scope, functions));
}

function compileKeyPath(root: Evaluator, keys: ReadonlyArray<string | number>): Evaluator {
  const readers = keys.map(keyReader);
  const [first, second, third] = readers;
  switch (readers.length) {
    case 1:
      return (scope, functions) => first(root(scope, functions));
    case 2:
      return (scope, functions) => second(first(root(scope, functions)));
    case 3:
      return (scope, functions) => third(second(first(root(scope, functions))));
    default:
      return (scope, functions) => {
        let value = root(scope, functions);
        for (let i = 0; i < readers.length && value !== undefined; i++) value = readers[i](value);
        return value;
      };
  }
}
