import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, Scope } from 'quickjs-emscripten';
import type { BatonError } from '../errors.ts';
import {
  scriptAborted,
  scriptInput,
  scriptMemory,
  scriptNeverSettled,
  scriptOutput,
  scriptStackOverflow,
  scriptSyntax,
  scriptThrew,
  scriptTimeout,
} from './failures.ts';
import type { ResolvedScriptLimits } from './limits.ts';
import type { LogCollector } from './logs.ts';
import { locateSyntaxError, rewriteStack, userPositionFromStack } from './positions.ts';
import { PRELUDE_FILENAME, PRELUDE_SOURCE, SCRIPT_FILENAME, wrapUserCode } from './prelude.ts';
import { type ThrownValue, VmValues } from './vm-values.ts';

export type InterruptReason = 'timeout' | 'aborted';

/** What the VM was doing when an error surfaced; decides which error code it maps to. */
type Phase = 'setup' | 'compile' | 'run' | 'output';

const MEMORY_ACTIVITY: Record<Phase, string> = {
  setup: 'copying in its globals',
  compile: 'compiling',
  run: 'running',
  output: 'serialising its result',
};

/**
 * One script's context: installs the prelude, runs the wrapped code, drives its promise through
 * the job queue and reads the result. Every handle it creates is owned by `scope`, which the
 * caller disposes together with the context.
 */
export class VmSession {
  readonly #ctx: QuickJSContext;
  readonly #runtime: QuickJSRuntime;
  readonly #scope: Scope;
  readonly #code: string;
  readonly #limits: ResolvedScriptLimits;
  readonly #interruptReason: () => InterruptReason | undefined;
  #values: VmValues | undefined;

  constructor(options: {
    context: QuickJSContext;
    scope: Scope;
    code: string;
    limits: ResolvedScriptLimits;
    interruptReason: () => InterruptReason | undefined;
  }) {
    this.#ctx = options.context;
    this.#runtime = options.context.runtime;
    this.#scope = options.scope;
    this.#code = options.code;
    this.#limits = options.limits;
    this.#interruptReason = options.interruptReason;
  }

  installPrelude(globalsJson: string, logs: LogCollector): void {
    const ctx = this.#ctx;
    const log = this.#manage(
      ctx.newFunction('log', (...args) => {
        if (logs.full || !this.#values) return;
        const budget = logs.remainingBytes;
        let line = '';
        for (const arg of args) {
          const text = this.#values.format(arg, budget - line.length);
          if (text === undefined) return logs.overflow();
          line += line === '' ? text : ` ${text}`;
          // UTF-16 length is a lower bound of the UTF-8 size: stop formatting once it is over.
          if (line.length > budget) return logs.overflow();
        }
        logs.add(line);
      }),
    );
    const prelude = ctx.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME, { type: 'global', strict: true });
    if (prelude.error) throw this.#fail(this.#manage(prelude.error), 'setup');
    const install = this.#manage(prelude.value);
    const globals = this.#manage(ctx.newString(globalsJson));
    const installed = ctx.callFunction(install, ctx.undefined, globals, log);
    if (installed.error) throw this.#fail(this.#manage(installed.error), 'setup');
    this.#values = new VmValues(ctx, this.#manage(installed.value));
  }

  /** Compiles and starts the user's code; returns the handle of the promise its async wrapper returns. */
  start(): QuickJSHandle {
    const started = this.#ctx.evalCode(wrapUserCode(this.#code), SCRIPT_FILENAME, { type: 'global' });
    // The async wrapper turns everything the body throws into a rejection, so an error here
    // comes from compiling (or from the limits while compiling).
    if (started.error) throw this.#fail(this.#manage(started.error), 'compile');
    return this.#manage(started.value);
  }

  /**
   * Runs pending jobs until the promise settles. Scripts cannot reach any I/O, so once the job
   * queue is empty nothing can ever settle a promise that is still pending.
   */
  awaitSettled(promise: QuickJSHandle): QuickJSHandle {
    for (;;) {
      const state = this.#ctx.getPromiseState(promise);
      if (state.type === 'fulfilled') return state.notAPromise ? state.value : this.#manage(state.value);
      if (state.type === 'rejected') throw this.#fail(this.#manage(state.error), 'run');
      if (!this.#runtime.hasPendingJob()) {
        // An interrupted promise job ends its chain silently, leaving the promise pending.
        throw this.#interrupted() ?? scriptNeverSettled();
      }
      const jobs = this.#runtime.executePendingJobs();
      if (jobs.error) throw this.#fail(this.#manage(jobs.error), 'run');
    }
  }

  /** JSON text of the value, made by the VM's original JSON.stringify; `undefined` becomes null. */
  serialize(value: QuickJSHandle): string {
    const { json, error } = this.#values!.stringify(value);
    if (error) throw this.#fail(this.#manage(error), 'output');
    if (!json) return 'null';
    const text = this.#manage(json);
    const max = this.#limits.maxOutputBytes;
    // UTF-8 never takes fewer bytes than UTF-16 code units, so the length alone can rule out a
    // result without copying it out of the VM.
    const length = this.#values!.stringLength(text);
    if (length > max) throw outputTooLarge(`at least ${length}`, max);
    const result = this.#ctx.getString(text);
    const bytes = Buffer.byteLength(result, 'utf8');
    if (bytes > max) throw outputTooLarge(String(bytes), max);
    return result;
  }

  #fail(error: QuickJSHandle, phase: Phase): BatonError {
    const interrupted = this.#interrupted();
    if (interrupted) return interrupted;
    const info = this.#describe(error);
    // Describing runs VM code (getters), which the deadline or an abort may interrupt too.
    const interruptedWhileDescribing = this.#interrupted();
    if (interruptedWhileDescribing) return interruptedWhileDescribing;
    if (info.name === 'InternalError' && info.message === 'out of memory') {
      return scriptMemory(this.#limits.memoryBytes, MEMORY_ACTIVITY[phase]);
    }
    const stackOverflow = info.name === 'InternalError' && info.message === 'stack overflow';
    switch (phase) {
      case 'setup':
        return scriptInput(`could not install the script's globals: ${info.name}: ${info.message}`);
      case 'output':
        return scriptOutput(`script result is not JSON-serialisable: ${info.name}: ${info.message}`);
      case 'compile':
        if (!stackOverflow) {
          const { message, line, column } = locateSyntaxError(info.stack, info.message, this.#code);
          return scriptSyntax(message, line === undefined ? undefined : { line, column });
        }
        break;
    }
    const position = userPositionFromStack(info.stack, this.#code);
    if (stackOverflow) return scriptStackOverflow(this.#limits.stackBytes, position);
    return scriptThrew(
      info.isError ? info.name : undefined,
      info.message,
      position,
      rewriteStack(info.stack, this.#code),
    );
  }

  #interrupted(): BatonError | undefined {
    const reason = this.#interruptReason();
    if (reason === 'aborted') return scriptAborted();
    if (reason === 'timeout') return scriptTimeout(this.#limits.timeoutMs);
    return undefined;
  }

  #describe(error: QuickJSHandle): ThrownValue {
    if (!this.#values) {
      // The prelude has not run, so no user code has either: the global JSON.stringify is pristine.
      const json = this.#manage(this.#ctx.getProp(this.#ctx.global, 'JSON'));
      this.#values = new VmValues(this.#ctx, this.#manage(this.#ctx.getProp(json, 'stringify')));
    }
    return this.#values.describeThrown(error);
  }

  #manage(handle: QuickJSHandle): QuickJSHandle {
    return this.#scope.manage(handle);
  }
}

function outputTooLarge(size: string, max: number): BatonError {
  return scriptOutput(
    `script result is ${size} bytes as JSON, over the limit of ${max} bytes (maxOutputBytes)`,
  );
}
