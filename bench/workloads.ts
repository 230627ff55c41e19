/** The benchmark plan: which workloads run, with which sizes, in full and --quick mode. */
import { chainWorkload } from './chain.ts';
import { fanOutWorkload } from './fanout.ts';
import type { WorkloadResult } from './result.ts';
import { storeFloorWorkload } from './store-floor.ts';
import { waitingWorkload } from './waiting.ts';

export interface PlannedWorkload {
  name: string;
  run(): Promise<WorkloadResult>;
}

export function plan(quick: boolean): PlannedWorkload[] {
  return [
    {
      name: 'chain-parallel',
      run: () =>
        chainWorkload({
          label: 'chain, parallel runs',
          runs: quick ? 20 : 50,
          steps: quick ? 50 : 400,
          concurrency: 100,
        }),
    },
    {
      name: 'store-floor',
      run: () => storeFloorWorkload({ runs: quick ? 20 : 50, steps: quick ? 50 : 400 }),
    },
    {
      name: 'chain-single',
      run: () =>
        chainWorkload({ label: 'chain, one run', runs: 1, steps: quick ? 100 : 3000, concurrency: 100 }),
    },
    {
      name: 'fan-out',
      run: () =>
        fanOutWorkload({ runs: quick ? 6 : 100, width: 100, inFlight: quick ? 2 : 4, concurrency: 100 }),
    },
    {
      name: 'waiting',
      run: () =>
        waitingWorkload({ runs: quick ? 2_000 : 10_000, approve: quick ? 20 : 100, parallelStarts: 20 }),
    },
  ];
}
