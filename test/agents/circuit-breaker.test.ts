/** The per-model circuit breaker on a manual clock: opens, half-opens for one trial, closes or reopens. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CircuitBreakers } from '../../src/agents/circuit-breaker.ts';
import { ManualClock } from '../../src/util/clock.ts';

describe('circuit breakers', () => {
  test('open after N consecutive failures; a success in between starts the count again', () => {
    const clock = new ManualClock();
    const breakers = new CircuitBreakers(clock, { failures: 3, coolDownMs: 10_000 });
    breakers.failure('m');
    breakers.failure('m');
    breakers.success('m');
    breakers.failure('m');
    breakers.failure('m');
    assert.equal(breakers.state('m'), 'closed');
    assert.ok(breakers.tryAcquire('m'));
    breakers.failure('m');
    assert.equal(breakers.state('m'), 'open');
    assert.equal(breakers.tryAcquire('m'), false);
    assert.equal(breakers.retryAfterMs('m'), 10_000);
    assert.equal(breakers.state('other'), 'closed', 'circuits are per model');
  });

  test('after the cool-down one trial passes; its failure reopens, its success closes', () => {
    const clock = new ManualClock();
    const breakers = new CircuitBreakers(clock, { failures: 1, coolDownMs: 5_000 });
    breakers.failure('m');
    clock.advance(4_999);
    assert.equal(breakers.tryAcquire('m'), false);
    clock.advance(1);
    assert.equal(breakers.state('m'), 'half-open');
    assert.equal(breakers.tryAcquire('m'), true);
    assert.equal(breakers.tryAcquire('m'), false, 'one trial at a time');
    breakers.failure('m');
    assert.equal(breakers.state('m'), 'open');
    assert.equal(breakers.retryAfterMs('m'), 5_000);
    clock.advance(5_000);
    assert.ok(breakers.tryAcquire('m'));
    breakers.release('m');
    assert.ok(breakers.tryAcquire('m'), 'a released trial slot can be taken again');
    breakers.success('m');
    assert.equal(breakers.state('m'), 'closed');
    assert.ok(breakers.tryAcquire('m') && breakers.tryAcquire('m'));
  });
});
