import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';

/** What a script threw, as far as the host can tell without trusting it. */
export interface ThrownValue {
  /** An object with string `message` and `stack`, which is what every QuickJS Error has. */
  isError: boolean;
  name: string;
  message: string;
  stack: string;
}

const MAX_MESSAGE_CHARS = 4_000;
const MAX_STACK_CHARS = 8_000;

/**
 * Reads values out of the VM on the host side. Reading may run user code (getters, toJSON, proxy
 * traps); that code is still bounded by the runtime's interrupt handler and memory limit.
 */
export class VmValues {
  readonly #ctx: QuickJSContext;
  readonly #stringify: QuickJSHandle;

  /** `stringify` is the VM's JSON.stringify as it was before user code ran. */
  constructor(ctx: QuickJSContext, stringify: QuickJSHandle) {
    this.#ctx = ctx;
    this.#stringify = stringify;
  }

  /** JSON.stringify inside the VM: a string handle, undefined (for functions, undefined...) or the thrown error. */
  stringify(value: QuickJSHandle): { json?: QuickJSHandle; error?: QuickJSHandle } {
    const ctx = this.#ctx;
    const result = ctx.callFunction(this.#stringify, ctx.undefined, value);
    if (result.error) return { error: result.error };
    if (ctx.typeof(result.value) !== 'string') {
      result.value.dispose();
      return {};
    }
    return { json: result.value };
  }

  /** Length in UTF-16 code units, read without copying the string out of the VM. */
  stringLength(handle: QuickJSHandle): number {
    return this.#ctx.getProp(handle, 'length').consume((length) => this.#ctx.getNumber(length));
  }

  /**
   * Console formatting: strings as they are, errors as "Name: message", other values as JSON.
   * Returns undefined when the text would exceed `maxChars`, without copying it out of the VM.
   */
  format(handle: QuickJSHandle, maxChars: number): string | undefined {
    const ctx = this.#ctx;
    const type = ctx.typeof(handle);
    if (type === 'string') return this.stringLength(handle) > maxChars ? undefined : ctx.getString(handle);
    if (type === 'number') return String(ctx.getNumber(handle));
    if (type === 'boolean' || type === 'undefined') return String(ctx.dump(handle));
    if (type === 'bigint') return `${ctx.getBigInt(handle)}n`;
    if (type === 'symbol') return ctx.getSymbol(handle).toString();
    if (type === 'function') return `[Function ${this.#readString(handle, 'name', 200) || '(anonymous)'}]`;
    if (ctx.sameValue(handle, ctx.null)) return 'null';
    const errorLike = this.#errorLike(handle);
    if (errorLike) return `${errorLike.name}: ${errorLike.message}`;
    const { json, error } = this.stringify(handle);
    if (error) {
      error.dispose();
      return '[object that cannot be shown as JSON]';
    }
    if (!json) return '[object]';
    return json.consume((text) => (this.stringLength(text) > maxChars ? undefined : ctx.getString(text)));
  }

  describeThrown(handle: QuickJSHandle): ThrownValue {
    const ctx = this.#ctx;
    const type = ctx.typeof(handle);
    if (type === 'object' && !ctx.sameValue(handle, ctx.null)) {
      const errorLike = this.#errorLike(handle);
      if (errorLike) return { isError: true, ...errorLike };
    }
    const text = this.format(handle, MAX_MESSAGE_CHARS) ?? `a ${type} too long to show`;
    return { isError: false, name: type, message: text, stack: '' };
  }

  #errorLike(handle: QuickJSHandle): { name: string; message: string; stack: string } | undefined {
    const message = this.#readString(handle, 'message', MAX_MESSAGE_CHARS);
    const stack = this.#readString(handle, 'stack', MAX_STACK_CHARS);
    if (message === undefined || stack === undefined) return undefined;
    return { name: this.#readString(handle, 'name', 200) || 'Error', message, stack };
  }

  /** A string property, clipped to `maxChars`; undefined when absent, not a string, or its getter threw. */
  #readString(handle: QuickJSHandle, key: string, maxChars: number): string | undefined {
    const ctx = this.#ctx;
    return ctx.getProp(handle, key).consume((value) => {
      if (ctx.typeof(value) !== 'string') return undefined;
      // Copying is bounded by the VM's memory limit; clip afterwards for the error message.
      const text = ctx.getString(value);
      return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
    });
  }
}
