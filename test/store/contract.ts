/**
 * The Store contract: every implementation runs these tests (SQLite always, PostgreSQL in
 * CI), so "same semantics" is checked rather than hoped for. Each test gets a fresh, empty,
 * initialised store from `makeStore` and cleans it up afterwards.
 */
import { describe } from 'node:test';
import { definitionContract } from './contract-definitions.ts';
import { leaseContract } from './contract-leases.ts';
import { runContract } from './contract-runs.ts';
import type { MakeStore } from './contract-support.ts';
import { taskContract } from './contract-tasks.ts';

export type { MakeStore, StoreHandle } from './contract-support.ts';

export function runStoreContract(name: string, makeStore: MakeStore): void {
  describe(`${name} store contract`, () => {
    definitionContract(makeStore);
    runContract(makeStore);
    taskContract(makeStore);
    leaseContract(makeStore);
  });
}
