import assert from 'node:assert/strict';
import { BatonError } from '../../src/errors.ts';

/** Awaits a promise that must reject with a BatonError of the given code and retryability. */
export async function expectBatonError(
  promise: Promise<unknown>,
  code: string,
  retryable: boolean,
): Promise<BatonError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BatonError, `expected a BatonError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    assert.equal(error.retryable, retryable, `expected retryable=${retryable} for ${code}`);
    return error;
  }
  assert.fail(`expected a ${code} error, but the promise resolved`);
}
