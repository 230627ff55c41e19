/**
 * The steps of one scope that the scheduler still has to look at, so that a pass costs
 * what changed rather than the length of the list: a 500-step chain has one open step,
 * not 500 to re-check after every result. This is derived data (decide.ts caches one per
 * scope and rebuilds it from the state whenever it is missing); it assumes a step that
 * was seen terminal stays terminal, which only RunRetried undoes, and RunRetried gives
 * the state new identities (state.ts) so that no frontier survives it.
 */
import type { StepDefinition } from '../language/model.ts';
import { type RunState, TERMINAL_STEP_STATUSES } from './state.ts';

interface ListIndex {
  /** Sibling positions of each step's needs; -1 for an id that is not a sibling (never satisfied). */
  needs: number[][];
  /** Positions of the siblings that need each step. */
  dependents: number[][];
}

const listIndexes = new WeakMap<readonly StepDefinition[], ListIndex>();

function indexOf(steps: readonly StepDefinition[]): ListIndex {
  let index = listIndexes.get(steps);
  if (!index) {
    const position = new Map(steps.map((step, i) => [step.id, i]));
    const needs = steps.map((step) => step.needs.map((id) => position.get(id) ?? -1));
    const dependents: number[][] = steps.map(() => []);
    needs.forEach((list, i) => {
      for (const j of list) if (j >= 0) dependents[j].push(i);
    });
    index = { needs, dependents };
    listIndexes.set(steps, index);
  }
  return index;
}

export class Frontier {
  readonly steps: readonly StepDefinition[];
  readonly paths: readonly string[];
  readonly #dependents: number[][];
  readonly #seen: Uint8Array;
  readonly #pending: Int32Array;
  /** Ascending positions to visit: started and not seen terminal, or not started with every need terminal. */
  readonly #open: number[] = [];
  #seenCount = 0;

  constructor(steps: readonly StepDefinition[], prefix: string, state: RunState) {
    const { needs, dependents } = indexOf(steps);
    this.steps = steps;
    this.paths = steps.map((step) => prefix + step.id);
    this.#dependents = dependents;
    this.#seen = new Uint8Array(steps.length);
    this.#pending = new Int32Array(steps.length);
    for (let i = 0; i < steps.length; i++) {
      const status = state.steps.get(this.paths[i])?.status;
      if (status !== undefined && TERMINAL_STEP_STATUSES.has(status)) {
        this.#seen[i] = 1;
        this.#seenCount++;
      }
    }
    for (let i = 0; i < steps.length; i++) {
      let pending = 0;
      for (const j of needs[i]) if (j < 0 || this.#seen[j] === 0) pending++;
      this.#pending[i] = pending;
      if (this.#seen[i] === 0 && (pending === 0 || state.steps.has(this.paths[i]))) this.#open.push(i);
    }
  }

  /** True when every step of the scope has been seen terminal. */
  get done(): boolean {
    return this.#seenCount === this.steps.length;
  }

  /** Settles open steps that became terminal outside the scheduler (a worker's result, a decision). */
  absorb(state: RunState): void {
    const finished: number[] = [];
    for (const i of this.#open) {
      const status = state.steps.get(this.paths[i])?.status;
      if (status !== undefined && TERMINAL_STEP_STATUSES.has(status)) finished.push(i);
    }
    for (const i of finished) this.settle(i);
  }

  /** The first open position after `after`, or -1. */
  next(after: number): number {
    const open = this.#open;
    let low = 0;
    let high = open.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (open[mid] <= after) low = mid + 1;
      else high = mid;
    }
    return low < open.length ? open[low] : -1;
  }

  /** Records that the step at `i` is terminal, opening the dependents it was the last need of. */
  settle(i: number): void {
    if (this.#seen[i] === 1) return;
    this.#seen[i] = 1;
    this.#seenCount++;
    const at = this.#find(i);
    if (at >= 0) this.#open.splice(at, 1);
    for (const d of this.#dependents[i]) {
      if (--this.#pending[d] === 0 && this.#seen[d] === 0) this.#insert(d);
    }
  }

  #find(i: number): number {
    const at = this.#lowerBound(i);
    return this.#open[at] === i ? at : -1;
  }

  #insert(i: number): void {
    const at = this.#lowerBound(i);
    if (this.#open[at] !== i) this.#open.splice(at, 0, i);
  }

  #lowerBound(i: number): number {
    const open = this.#open;
    let low = 0;
    let high = open.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (open[mid] < i) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
