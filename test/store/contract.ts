/**
 * The Store contract: every implementation runs these tests (SQLite always, PostgreSQL in
 * CI), so "same semantics" is checked rather than hoped for. Each test gets a fresh, empty,
 * initialised store from `makeStore` and cleans it up afterwards.
 */
import { describe } from 'node:test';
import { claimOnInsertContract } from './contract-claim-on-insert.ts';
import { definitionContract } from './contract-definitions.ts';
import { leaseContract } from './contract-leases.ts';
import { limitsContract } from './contract-limits.ts';
import { queryContract } from './contract-queries.ts';
import { runContract } from './contract-runs.ts';
import type { MakeStore } from './contract-support.ts';
import { taskContract } from './contract-tasks.ts';
import { usageContract } from './contract-usage.ts';

export type { MakeStore, StoreHandle } from './contract-support.ts';

export interface ContractOptions {
  /** The store leases tasks on insert when a commit asks (CommitRequest.claim); default true. */
  claimOnInsert?: boolean;
  /** The store keeps RunRow/StepRow `usage`; default true. When false the test is reported as a todo. */
  persistsUsage?: boolean;
  /** Claimed tasks carry their run's history (ClaimedTask.history); default false. */
  claimsCarryHistory?: boolean;
}

export function runStoreContract(name: string, makeStore: MakeStore, options: ContractOptions = {}): void {
  describe(`${name} store contract`, () => {
    definitionContract(makeStore);
    runContract(makeStore, options.persistsUsage ?? true);
    queryContract(makeStore);
    taskContract(makeStore, options.claimsCarryHistory ?? false);
    leaseContract(makeStore);
    claimOnInsertContract(makeStore, options.claimOnInsert ?? true);
    limitsContract(makeStore);
    usageContract(makeStore);
  });
}
