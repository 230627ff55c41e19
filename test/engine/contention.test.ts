import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Contention } from '../../src/runtime/contention.ts';

describe('contention between processes committing to one run', () => {
  test('the first conflicts in a row retry at once, then waits grow at random up to 50 ms', async () => {
    const waits: number[] = [];
    const contention = new Contention(
      () => 0.5,
      async (ms) => {
        waits.push(ms);
      },
    );
    for (let conflicts = 1; conflicts <= 10; conflicts++) await contention.backOff(conflicts);
    assert.deepEqual(waits, [1, 2, 4, 8, 16, 25, 25, 25]);
  });
});
