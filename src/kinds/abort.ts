/**
 * Abort handling for `execute`: a step whose signal fires (cancel, step timeout, worker
 * shutdown) must give its slot back promptly even when user code ignores the signal.
 */
import { BatonError } from '../errors.ts';

export function stepAborted(signal: AbortSignal, where: string): BatonError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new BatonError('STEP_ABORTED', `${where} was aborted: ${reason}`, {
    retryable: true,
    cause: signal.reason,
  });
}

/** Settles with `work`, or rejects with STEP_ABORTED as soon as `signal` fires (the work is abandoned). */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, where: string): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(stepAborted(signal, where));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(stepAborted(signal, where));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
