/**
 * A small per-process circuit breaker per model: after `failures` consecutive outages (rate
 * limits, 5xx, timeouts, unreachable endpoints) the model's circuit opens and calls skip it
 * (to the next model of a fallback chain) without waiting for another failure. After
 * `coolDownMs` one trial call is let through (half-open): a success closes the circuit, a
 * failure opens it again. Time comes from an injected clock.
 */
import type { Clock } from '../util/clock.ts';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open a model's circuit (default 5). */
  failures?: number;
  /** How long an open circuit stays open before a trial call (default 30 s). */
  coolDownMs?: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

interface Circuit {
  failures: number;
  openedAt?: number;
  trialInFlight: boolean;
}

export class CircuitBreakers {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #coolDownMs: number;
  readonly #circuits = new Map<string, Circuit>();

  constructor(clock: Clock, options: CircuitBreakerOptions = {}) {
    this.#clock = clock;
    this.#threshold = Math.max(1, options.failures ?? 5);
    this.#coolDownMs = Math.max(0, options.coolDownMs ?? 30_000);
  }

  state(model: string): CircuitState {
    const circuit = this.#circuits.get(model);
    if (circuit?.openedAt === undefined) return 'closed';
    return this.#clock.now() - circuit.openedAt >= this.#coolDownMs ? 'half-open' : 'open';
  }

  /** Whether a call may go to `model` now; a half-open circuit admits one trial at a time. */
  tryAcquire(model: string): boolean {
    const state = this.state(model);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const circuit = this.#circuits.get(model)!;
    if (circuit.trialInFlight) return false;
    circuit.trialInFlight = true;
    return true;
  }

  /** Milliseconds until an open circuit of `model` admits a trial call (0 when it would now). */
  retryAfterMs(model: string): number {
    const openedAt = this.#circuits.get(model)?.openedAt;
    if (openedAt === undefined) return 0;
    return Math.max(0, openedAt + this.#coolDownMs - this.#clock.now());
  }

  success(model: string): void {
    this.#circuits.delete(model);
  }

  failure(model: string): void {
    const circuit = this.#circuits.get(model) ?? { failures: 0, trialInFlight: false };
    circuit.failures++;
    if (circuit.trialInFlight || circuit.failures >= this.#threshold) circuit.openedAt = this.#clock.now();
    circuit.trialInFlight = false;
    this.#circuits.set(model, circuit);
  }

  /** A call that ended neither way (aborted, rejected request): a trial slot is given back. */
  release(model: string): void {
    const circuit = this.#circuits.get(model);
    if (circuit) circuit.trialInFlight = false;
  }
}
