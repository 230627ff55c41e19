import type { BuiltinDefinition } from './builtin-definition.ts';
import { DATA_BUILTINS } from './builtins-data.ts';
import { MATH_BUILTINS } from './builtins-math.ts';
import { TEXT_BUILTINS } from './builtins-text.ts';

/** Built-in functions by name; a Map so that names like "constructor" can never resolve by accident. */
export const BUILTINS: ReadonlyMap<string, BuiltinDefinition> = new Map(
  [...TEXT_BUILTINS, ...DATA_BUILTINS, ...MATH_BUILTINS].map((definition) => [definition.name, definition]),
);

export const BUILTIN_FUNCTIONS: readonly string[] = Object.freeze([...BUILTINS.keys()].sort());
