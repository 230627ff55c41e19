/**
 * The sandbox for `script` steps: untrusted JavaScript runs in QuickJS compiled to WebAssembly,
 * on worker threads, with time, memory, stack, output and log limits. See docs/scripts.md.
 */
export {
  DEFAULT_SCRIPT_LIMITS,
  MAX_STACK_BYTES,
  type ResolvedScriptLimits,
  resolveScriptLimits,
  type ScriptLimits,
} from './limits.ts';
export { LOGS_TRUNCATED_LINE } from './logs.ts';
export type { SyntaxCheckResult } from './protocol.ts';
export {
  checkScriptSyntax,
  configureSandbox,
  runScript,
  type SandboxOptions,
  type ScriptResult,
  shutdownSandbox,
} from './run-script.ts';
