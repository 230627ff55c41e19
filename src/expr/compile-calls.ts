import type { CallNode, IdentifierNode, MemberNode } from './ast.ts';
import { expectArgumentCount } from './builtin-arguments.ts';
import type { BuiltinDefinition } from './builtin-definition.ts';
import { BUILTINS } from './builtins.ts';
import { compileList } from './compile-arguments.ts';
import type { CompileContext, Evaluator } from './compile-context.ts';
import { runtimeFault } from './failures.ts';
import { exposed } from './values.ts';

/**
 * Only bare calls to named functions exist: built-ins (bound at compile time) or functions the caller passes
 * per evaluation. `x.toString()`, `f()()` and the like are compile errors, so no value's methods are reachable.
 */
export function compileCall(node: CallNode, context: CompileContext): Evaluator {
  const callee = node.callee;
  if (callee.type !== 'Identifier') rejectCallee(node, context);
  const name = (callee as IdentifierNode).name;
  const builtin = BUILTINS.get(name);
  if (builtin === undefined && context.allowedFunctions !== null && !context.allowedFunctions.has(name)) {
    context.unknownFunction(name, callee, new Set([...BUILTINS.keys(), ...context.allowedFunctions]));
  }
  context.references.addFunction(name);
  const list = compileList(node.arguments, node, context, `the arguments of ${name}()`);
  const hasSpread = list.spread.includes(true);
  if (builtin === undefined) return compileCallerFunctionCall(name, list.build);
  if (!hasSpread) {
    const count = list.evaluators.length;
    if (count < builtin.min || count > builtin.max) {
      try {
        expectArgumentCount(name, count, builtin.min, builtin.max);
      } catch (error) {
        context.fail((error as Error).message, node);
      }
    }
    return compileFixedCall(builtin, list.evaluators);
  }
  return (scope, functions) => {
    const args = list.build(scope, functions);
    expectArgumentCount(name, args.length, builtin.min, builtin.max);
    return builtin.call(...args);
  };
}

function rejectCallee(node: CallNode, context: CompileContext): never {
  const callee = node.callee;
  if (callee.type === 'MemberExpression') {
    const member = callee as MemberNode;
    if (!member.computed) {
      const method = (member.property as IdentifierNode).name;
      const at = context.positions.find(method, context.positions.startOf(callee));
      context.failAt(
        `Method calls are not supported ("${method}(…)"); call a function instead, e.g. length(x)`,
        at,
      );
    }
    context.fail('Method calls are not supported; call a function instead, e.g. length(x)', callee);
  }
  context.fail('Only named functions can be called, e.g. length(x)', node);
}

/** Avoids building an argument array for the common arities. */
function compileFixedCall(builtin: BuiltinDefinition, evaluators: readonly Evaluator[]): Evaluator {
  const call = builtin.call;
  const [a, b, c] = evaluators;
  switch (evaluators.length) {
    case 0:
      return () => call();
    case 1:
      return (scope, functions) => call(a(scope, functions));
    case 2:
      return (scope, functions) => call(a(scope, functions), b(scope, functions));
    case 3:
      return (scope, functions) => call(a(scope, functions), b(scope, functions), c(scope, functions));
    default:
      return (scope, functions) => {
        const args = new Array<unknown>(evaluators.length);
        for (let i = 0; i < evaluators.length; i++) args[i] = evaluators[i](scope, functions);
        return call(...args);
      };
  }
}

function compileCallerFunctionCall(name: string, build: ReturnType<typeof compileList>['build']): Evaluator {
  return (scope, functions) => {
    const fn = functions !== undefined && Object.hasOwn(functions, name) ? functions[name] : undefined;
    if (typeof fn !== 'function') {
      throw runtimeFault(`Unknown function "${name}" (not built in and not supplied by the caller)`, {
        function: name,
      });
    }
    return exposed(fn(...build(scope, functions)));
  };
}
