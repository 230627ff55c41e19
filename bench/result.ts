/** The shape every workload reports back to bench/run.ts. */
import type { Summary } from './stats.ts';

export interface WorkloadResult {
  workload: string;
  /** What was run, e.g. "50 runs × 100-step chain". */
  shape: string;
  /** Durable steps (or runs, see `unit`) per second. */
  throughput: number;
  unit: string;
  /** Latency samples' summary in milliseconds, and what they measure. */
  latency?: Summary & { of: string };
  rssMiB?: number;
  /** Process CPU time (user + system, all threads) per unit of work, in microseconds. */
  cpuMicros?: number;
  seconds: number;
  notes: string[];
}
