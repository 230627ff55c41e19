/** Types and helpers shared by the Store contract sections. */
import type { Store } from '../../src/store/types.ts';

export interface StoreHandle {
  store: Store;
  cleanup(): Promise<void>;
  /**
   * Optional: another, independent store on the same data (a second process would open
   * one). Concurrency tests use it when present; stores it returns are closed by the test.
   */
  connect?(): Promise<Store>;
}

export type MakeStore = () => Promise<StoreHandle>;

/** Runs `work` against a fresh store and always cleans up. */
export async function withStore(
  makeStore: MakeStore,
  work: (store: Store, handle: StoreHandle) => Promise<void>,
): Promise<void> {
  const handle = await makeStore();
  try {
    await work(handle.store, handle);
  } finally {
    await handle.cleanup();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a value looks like after a JSON round trip (undefined properties dropped). */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
