import { BatonError } from '../errors.ts';

/** Resource limits for one script run. Every run gets a fresh QuickJS runtime with these limits. */
export interface ScriptLimits {
  /** Wall-clock budget for the script, enforced by QuickJS's interrupt handler. */
  timeoutMs: number;
  /** Heap limit of the script's QuickJS runtime (includes the copied-in globals). */
  memoryBytes: number;
  /** Maximum QuickJS stack; deeper recursion fails with a stack overflow. */
  stackBytes?: number;
  /** Maximum size of the JSON-serialised result, in UTF-8 bytes. */
  maxOutputBytes?: number;
  /** Total budget for captured console output, in UTF-8 bytes. */
  maxLogBytes?: number;
}

export type ResolvedScriptLimits = Required<ScriptLimits>;

export const DEFAULT_SCRIPT_LIMITS: ResolvedScriptLimits = Object.freeze({
  timeoutMs: 5_000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 1024 * 1024,
  maxOutputBytes: 1024 * 1024,
  maxLogBytes: 64 * 1024,
});

/**
 * The QuickJS build runs on a WASM shadow stack of about 5 MiB; a limit above that would let
 * recursion overwrite the heap instead of raising "stack overflow", so larger values are refused.
 */
export const MAX_STACK_BYTES = 4 * 1024 * 1024;
const MIN_STACK_BYTES = 64 * 1024;
const MIN_MEMORY_BYTES = 1024 * 1024;

/** Fills in defaults and validates; throws INVALID_SCRIPT_LIMITS naming the offending field. */
export function resolveScriptLimits(limits: Partial<ScriptLimits> = {}): ResolvedScriptLimits {
  const resolved: ResolvedScriptLimits = { ...DEFAULT_SCRIPT_LIMITS };
  for (const key of Object.keys(DEFAULT_SCRIPT_LIMITS) as (keyof ResolvedScriptLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw invalidLimit(key, value, 'a positive finite number');
    }
    resolved[key] = Math.floor(value);
  }
  if (resolved.memoryBytes < MIN_MEMORY_BYTES) {
    throw invalidLimit('memoryBytes', resolved.memoryBytes, `at least ${MIN_MEMORY_BYTES} bytes`);
  }
  if (resolved.stackBytes < MIN_STACK_BYTES || resolved.stackBytes > MAX_STACK_BYTES) {
    throw invalidLimit(
      'stackBytes',
      resolved.stackBytes,
      `between ${MIN_STACK_BYTES} and ${MAX_STACK_BYTES} bytes`,
    );
  }
  return resolved;
}

function invalidLimit(field: string, value: unknown, expected: string): BatonError {
  return new BatonError(
    'INVALID_SCRIPT_LIMITS',
    `script limit ${field} is ${JSON.stringify(value) ?? String(value)}; expected ${expected}`,
    { details: { field } },
  );
}
