/** The PostgreSQL store's forecast of claim-on-insert: a queue and workflow that missed a lease are expected to miss for a minute. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaseForecast } from '../../src/store/postgres/lease-forecast.ts';

test('a miss is remembered per queue and workflow for a minute, then forgotten', () => {
  const forecast = new LeaseForecast();
  const at = 1_000_000;
  assert.equal(forecast.expectsLease('default', 'wf', at), true);
  forecast.missed('default', 'wf', at);
  assert.equal(forecast.expectsLease('default', 'wf', at + 59_999), false);
  assert.equal(forecast.expectsLease('gpu', 'wf', at), true, 'another queue');
  assert.equal(forecast.expectsLease('default', 'other', at), true, 'another workflow');
  assert.equal(forecast.expectsLease('default', 'wf', at + 60_000), true);
  assert.equal(forecast.expectsLease('default', 'wf', at + 60_001), true, 'and stays forgotten');
});
