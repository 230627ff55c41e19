import { getQuickJS, type QuickJSWASMModule } from 'quickjs-emscripten';

let modulePromise: Promise<QuickJSWASMModule> | undefined;

/**
 * The QuickJS WASM module, compiled and instantiated once per thread: compiling the WASM is the
 * slow part (tens of ms), while a fresh runtime inside it costs well under a millisecond.
 * A failed load is not cached so that a later call can retry.
 */
export function loadQuickJS(): Promise<QuickJSWASMModule> {
  modulePromise ??= getQuickJS().catch((error: unknown) => {
    modulePromise = undefined;
    throw error;
  });
  return modulePromise;
}
