import { type QuickJSRuntime, type QuickJSWASMModule, Scope } from 'quickjs-emscripten';
import { BatonError } from '../errors.ts';
import { LogCollector } from './logs.ts';
import type { RunRequest, RunSuccess } from './protocol.ts';
import { type InterruptReason, VmSession } from './vm-session.ts';

export interface ExecutionEnvironment {
  quickjs: QuickJSWASMModule;
  /** Read by the interrupt handler, so an abort is seen within one interrupt poll. */
  isAbortRequested: () => boolean;
  /** Called when disposing the VM failed: the WASM module may be damaged and should be replaced. */
  onVmCorrupted: (error: unknown) => void;
}

/**
 * Runs one script in a fresh QuickJS runtime (own heap, own limits) and disposes of it, whatever
 * happens. Failures are thrown as BatonErrors carrying the console output captured so far.
 */
export function executeScript(env: ExecutionEnvironment, request: RunRequest): RunSuccess {
  const { limits } = request;
  const started = performance.now();
  const deadline = started + limits.timeoutMs;
  const logs = new LogCollector(limits.maxLogBytes);
  let interruptReason: InterruptReason | undefined;
  let disposing = false;

  const runtime = env.quickjs.newRuntime();
  const scope = new Scope();
  try {
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(limits.stackBytes);
    // Once tripped, the handler keeps answering true so that `finally` blocks and queued jobs
    // of the interrupted script are interrupted as well.
    runtime.setInterruptHandler(() => {
      if (disposing) return true;
      if (interruptReason === undefined) {
        if (env.isAbortRequested()) interruptReason = 'aborted';
        else if (performance.now() > deadline) interruptReason = 'timeout';
      }
      return interruptReason !== undefined;
    });
    const context = scope.manage(runtime.newContext());
    const session = new VmSession({
      context,
      scope,
      code: request.code,
      limits,
      interruptReason: () => interruptReason,
    });
    session.installPrelude(request.globalsJson, logs);
    const value = session.awaitSettled(session.start());
    const resultJson = session.serialize(value);
    return { kind: 'run', resultJson, logs: logs.lines, durationMs: performance.now() - started };
  } catch (error) {
    if (error instanceof BatonError) {
      throw new BatonError(error.code, error.message, {
        retryable: error.retryable,
        details: { ...error.details, logs: logs.lines },
      });
    }
    throw error;
  } finally {
    // Jobs left in the queue (unawaited work, or the rest of an interrupted chain) are run to a
    // forced interrupt first: freeing a runtime with an interrupted promise chain still queued
    // can trip QuickJS's leak assertion in JS_FreeRuntime.
    disposing = true;
    disposeQuietly(env, () => drainJobs(runtime));
    disposeQuietly(env, () => scope.dispose());
    disposeQuietly(env, () => runtime.dispose());
  }
}

function drainJobs(runtime: QuickJSRuntime): void {
  for (let round = 0; round < 100 && runtime.hasPendingJob(); round++) {
    const result = runtime.executePendingJobs();
    if (result.error) result.error.dispose();
  }
}

function disposeQuietly(env: ExecutionEnvironment, dispose: () => void): void {
  try {
    dispose();
  } catch (error) {
    env.onVmCorrupted(error);
  }
}
