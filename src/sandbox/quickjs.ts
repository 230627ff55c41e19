import {
  type CustomizeVariantOptions,
  newQuickJSWASMModule,
  newVariant,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from 'quickjs-emscripten';

let modulePromise: Promise<QuickJSWASMModule> | undefined;

/** Called when the WASM code aborts (a failed assertion inside QuickJS); the module must not be trusted afterwards. */
export type WasmAbortListener = (reason: string) => void;
const abortListeners = new Set<WasmAbortListener>();

export function onWasmAbort(listener: WasmAbortListener): void {
  abortListeners.add(listener);
}

/**
 * The QuickJS WASM module, compiled and instantiated once per thread: compiling the WASM is the
 * slow part (tens of ms), while a fresh runtime inside it costs well under a millisecond.
 * A failed load is not cached so that a later call can retry.
 */
export function loadQuickJS(): Promise<QuickJSWASMModule> {
  modulePromise ??= newQuickJSWASMModule(
    newVariant(RELEASE_SYNC, { emscriptenModule: emscriptenHooks() }),
  ).catch((error: unknown) => {
    modulePromise = undefined;
    throw error;
  });
  return modulePromise;
}

/**
 * Emscripten reports an abort on stderr and then throws; the throw is what the sandbox acts on
 * (see onWasmAbort), so the stderr copy is dropped. These options are passed to Emscripten's
 * Module verbatim but are missing from quickjs-emscripten's type.
 */
function emscriptenHooks(): CustomizeVariantOptions['emscriptenModule'] {
  const hooks = {
    onAbort: (reason: unknown) => {
      for (const listener of abortListeners) listener(String(reason));
    },
    printErr: (text: string) => {
      if (!text.startsWith('Aborted(')) process.stderr.write(`${text}\n`);
    },
  };
  return hooks as CustomizeVariantOptions['emscriptenModule'];
}
