import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KnownRuns } from '../../src/runtime/known-runs.ts';

test('a claim names the cached runs in flight and the latest finished, with how far each is cached', () => {
  const cached = new Map([
    ['a', 3],
    ['b', 7],
    ['c', 9],
    ['d', 2],
  ]);
  const known = new KnownRuns((runId) => cached.get(runId), 2);
  known.finished('c');
  known.finished('d');
  known.finished('x'); // not cached: never named
  known.finished('c'); // finished again: the latest, so 'd' is the one evicted next
  known.finished('b');
  assert.deepEqual(
    [...known.of(['a', 'a', 'uncached'])],
    [
      ['a', 3],
      ['c', 9],
      ['b', 7],
    ],
  );
  cached.delete('c'); // evicted from the cache since: no longer named
  assert.deepEqual([...known.of([])], [['b', 7]]);
});
