/**
 * The `as:` name a block kind (map, plan) gives the current item inside its body: an
 * identifier that no expression root or block variable already uses.
 */
import { z } from 'zod';
import { BASE_ROOTS } from '../language/references.ts';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const RESERVED_NAMES = new Set<string>([...BASE_ROOTS, 'index', 'loop']);

export function itemVariableName(example: string, kind: string) {
  return z
    .string()
    .regex(IDENTIFIER, `must be an identifier such as "${example}"`)
    .refine((name) => !RESERVED_NAMES.has(name), {
      message: `this name is already used inside a ${kind} body`,
    });
}
