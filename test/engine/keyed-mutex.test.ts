/**
 * The per-run lock every mutation of a run goes through: one run's work never overlaps,
 * different runs' work does, and a failure releases the lock for what waits behind it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedMutex } from '../../src/runtime/keyed-mutex.ts';

test('work on one key runs one at a time, in call order; other keys run alongside', async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  const job = (key: string, name: string, ms: number) =>
    mutex.run(key, async () => {
      log.push(`${name} start`);
      await sleep(ms);
      log.push(`${name} end`);
      return name;
    });
  const results = await Promise.all([
    job('a', 'a1', 20),
    job('a', 'a2', 1),
    job('b', 'b1', 5),
    job('a', 'a3', 1),
  ]);
  assert.deepEqual(results, ['a1', 'a2', 'b1', 'a3']);
  const a = log.filter((line) => line.startsWith('a'));
  assert.deepEqual(a, ['a1 start', 'a1 end', 'a2 start', 'a2 end', 'a3 start', 'a3 end']);
  assert.ok(log.indexOf('b1 end') < log.indexOf('a1 end'), 'b1 did not wait for a1');
});

test('a failure, thrown or rejected, reaches its caller and releases the key', async () => {
  const mutex = new KeyedMutex();
  const thrown = mutex.run('a', () => {
    throw new Error('thrown at once');
  });
  const rejected = mutex.run('a', async () => {
    await sleep(1);
    throw new Error('rejected later');
  });
  const next = mutex.run('a', async () => 'ran');
  await assert.rejects(thrown, /thrown at once/);
  await assert.rejects(rejected, /rejected later/);
  assert.equal(await next, 'ran');
  assert.equal(await mutex.run('a', async () => 'again'), 'again');
});
