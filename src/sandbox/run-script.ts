import { availableParallelism } from 'node:os';
import { BatonError, type JsonValue } from '../errors.ts';
import { sandboxFailure, scriptInput, scriptTimeout } from './failures.ts';
import { DEFAULT_SCRIPT_LIMITS, resolveScriptLimits, type ScriptLimits } from './limits.ts';
import { type JobRequest, type JobResult, SandboxPool, type SubmitOptions } from './pool.ts';
import type { SyntaxCheckResult } from './protocol.ts';

export interface ScriptResult {
  value: JsonValue;
  /** One entry per console call, in order, bounded by maxLogBytes. */
  logs: string[];
  durationMs: number;
}

export interface SandboxOptions {
  /** Worker threads running scripts in parallel; default min(4, CPUs - 1), at least 1. */
  maxThreads?: number;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Non-configurable properties of the global object, plus the prototype accessor. */
const UNASSIGNABLE_GLOBALS = new Set(['undefined', 'NaN', 'Infinity', '__proto__']);

/** A worker gets this long beyond a script's own deadline before it is presumed stuck and killed. */
const HANG_GRACE_MS = 2_000;

let pool: SandboxPool | undefined;
let maxThreads = Math.max(1, Math.min(4, availableParallelism() - 1));

/**
 * Sets how many worker threads run scripts in parallel. Meant for start-up: it replaces the
 * current pool, and scripts still running in it fail with SANDBOX_FAILURE (retryable).
 */
export function configureSandbox(options: SandboxOptions): void {
  if (options.maxThreads !== undefined) {
    if (!Number.isInteger(options.maxThreads) || options.maxThreads < 1) {
      throw new BatonError(
        'INVALID_SANDBOX_OPTIONS',
        `sandbox maxThreads must be a positive integer, got ${options.maxThreads}`,
      );
    }
    maxThreads = options.maxThreads;
    const previous = pool;
    pool = undefined;
    void previous?.close();
  }
}

/** Terminates the sandbox workers; scripts still running fail with SANDBOX_FAILURE. Later calls start new ones. */
export async function shutdownSandbox(): Promise<void> {
  const previous = pool;
  pool = undefined;
  await previous?.close();
}

function submit(request: JobRequest, options: SubmitOptions): Promise<JobResult> {
  pool ??= new SandboxPool(maxThreads);
  return pool.submit(request, options);
}

/**
 * Runs untrusted JavaScript in a fresh QuickJS runtime. `code` is the body of an async function:
 * it may `await` and `return`; the returned value, copied out as JSON, is the result. Each key of
 * `globals` becomes a global variable holding a deep copy of its value.
 */
export async function runScript(
  code: string,
  globals: Record<string, JsonValue>,
  limits?: Partial<ScriptLimits>,
  signal?: AbortSignal,
): Promise<ScriptResult> {
  if (typeof code !== 'string') throw scriptInput(`script code must be a string, got ${typeof code}`);
  const resolved = resolveScriptLimits(limits);
  const result = await submit(
    { type: 'run', code, globalsJson: serializeGlobals(globals), limits: resolved },
    {
      hangAfterMs: resolved.timeoutMs + HANG_GRACE_MS,
      hangError: () => scriptTimeout(resolved.timeoutMs),
      signal,
    },
  );
  if (result.kind !== 'run')
    throw sandboxFailure('script sandbox answered a run request with a syntax result');
  return {
    value: JSON.parse(result.resultJson) as JsonValue,
    logs: result.logs,
    durationMs: result.durationMs,
  };
}

/** Compiles `code` as runScript would, without running it, to report syntax errors at load time. */
export async function checkScriptSyntax(code: string): Promise<SyntaxCheckResult> {
  if (typeof code !== 'string')
    return { ok: false, message: `script code must be a string, got ${typeof code}` };
  const result = await submit(
    { type: 'syntax', code },
    {
      hangAfterMs: DEFAULT_SCRIPT_LIMITS.timeoutMs + HANG_GRACE_MS,
      hangError: () => sandboxFailure('script syntax check did not finish in time'),
    },
  );
  if (result.kind !== 'syntax')
    throw sandboxFailure('script sandbox answered a syntax request with a run result');
  return result.syntax;
}

/**
 * Globals travel as one JSON text: cycles and BigInts fail here, before any VM work. A top-level
 * `undefined` becomes null so that the variable still exists inside the script.
 */
function serializeGlobals(globals: Record<string, JsonValue>): string {
  if (globals === null || typeof globals !== 'object' || Array.isArray(globals)) {
    throw scriptInput('script globals must be an object mapping variable names to JSON values');
  }
  const topLevel: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(globals)) {
    if (!IDENTIFIER.test(name) || UNASSIGNABLE_GLOBALS.has(name)) {
      throw scriptInput(`script global ${JSON.stringify(name)} is not a name a variable can have`);
    }
    topLevel[name] = value === undefined ? null : value;
  }
  try {
    return JSON.stringify(topLevel);
  } catch (error) {
    throw scriptInput(`script globals are not JSON-serialisable: ${(error as Error).message}`);
  }
}
