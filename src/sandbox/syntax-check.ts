import type { QuickJSContext, QuickJSHandle, QuickJSWASMModule } from 'quickjs-emscripten';
import { DEFAULT_SCRIPT_LIMITS } from './limits.ts';
import { locateSyntaxError } from './positions.ts';
import { SCRIPT_FILENAME, wrapUserCode } from './prelude.ts';
import type { SyntaxCheckResult } from './protocol.ts';

/** Compiles the wrapped code without running it, under the default limits. */
export function checkSyntaxInVm(quickjs: QuickJSWASMModule, code: string): SyntaxCheckResult {
  const runtime = quickjs.newRuntime();
  try {
    runtime.setMemoryLimit(DEFAULT_SCRIPT_LIMITS.memoryBytes);
    runtime.setMaxStackSize(DEFAULT_SCRIPT_LIMITS.stackBytes);
    const deadline = performance.now() + DEFAULT_SCRIPT_LIMITS.timeoutMs;
    runtime.setInterruptHandler(() => performance.now() > deadline);
    const context = runtime.newContext();
    try {
      const compiled = context.evalCode(wrapUserCode(code), SCRIPT_FILENAME, {
        type: 'global',
        compileOnly: true,
      });
      if (!compiled.error) {
        compiled.value.dispose();
        return { ok: true };
      }
      return compiled.error.consume((error) => describeCompileError(context, error, code));
    } finally {
      context.dispose();
    }
  } finally {
    runtime.dispose();
  }
}

function describeCompileError(
  context: QuickJSContext,
  error: QuickJSHandle,
  code: string,
): SyntaxCheckResult {
  const read = (key: string): string =>
    context
      .getProp(error, key)
      .consume((value) => (context.typeof(value) === 'string' ? context.getString(value) : ''));
  const name = read('name');
  const message = read('message');
  if (name !== 'SyntaxError') {
    // The parser ran out of stack or memory (absurdly nested or huge code) rather than finding an error.
    return { ok: false, message: `script could not be compiled: ${name}: ${message}` };
  }
  return { ok: false, ...locateSyntaxError(read('stack'), message, code) };
}
