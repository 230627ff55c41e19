/**
 * Entry point of a sandbox worker thread. Scripts run here rather than on the host's thread so
 * that the host's event loop keeps running while a script computes: that is what lets an
 * AbortSignal fire mid-script (the host writes the job id into shared memory, which the QuickJS
 * interrupt handler reads) and lets the host terminate a worker that stops answering.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatonError, serializeError } from '../errors.ts';
import { executeScript } from './execute.ts';
import { ABORT_SLOT, type WorkerReply, type WorkerRequest } from './protocol.ts';
import { loadQuickJS, onWasmAbort } from './quickjs.ts';
import { checkSyntaxInVm } from './syntax-check.ts';

if (!parentPort) {
  throw new BatonError('SANDBOX_FAILURE', 'src/sandbox/worker-main.ts must run as a worker thread');
}
const port = parentPort;
const abortFlags = new Int32Array((workerData as { abortBuffer: SharedArrayBuffer }).abortBuffer);
let currentJobId = 0;
let vmCorrupted = false;
onWasmAbort(() => {
  vmCorrupted = true;
});
const quickjs = await loadQuickJS();
const environment = {
  quickjs,
  isAbortRequested: () => Atomics.load(abortFlags, ABORT_SLOT) === currentJobId,
  onVmCorrupted: () => {
    vmCorrupted = true;
  },
};

port.on('message', (request: WorkerRequest) => {
  currentJobId = request.id;
  let reply: WorkerReply;
  try {
    const result =
      request.type === 'run'
        ? executeScript(environment, request)
        : { kind: 'syntax' as const, syntax: checkSyntaxInVm(quickjs, request.code) };
    reply = { type: 'done', id: request.id, ok: true, result, recycle: vmCorrupted };
  } catch (error) {
    // Anything but a BatonError escaped from the WASM glue (a host stack overflow inside WASM,
    // a trap): the module's memory can no longer be trusted.
    if (!(error instanceof BatonError)) vmCorrupted = true;
    const failure = error instanceof BatonError ? error : workerFailure(error);
    reply = { type: 'done', id: request.id, ok: false, error: serializeError(failure), recycle: vmCorrupted };
  }
  currentJobId = 0;
  port.postMessage(reply);
});

port.postMessage({ type: 'ready' } satisfies WorkerReply);

function workerFailure(error: unknown): BatonError {
  return new BatonError('SANDBOX_FAILURE', `sandbox worker failed while running a script: ${String(error)}`, {
    retryable: true,
    cause: error,
  });
}
