/**
 * Waiting runs: start many runs that each stop at an approval step, then measure the
 * process's resident memory after a full GC (run in its own process with --expose-gc,
 * so nothing else inflates it). A sample is then approved and must run to completion,
 * while the rest stay waiting.
 */
import type { WorkloadResult } from './result.ts';
import { approvalWorkflow, openBenchEngine, rssAfterGc, whenFinished } from './setup.ts';

export interface WaitingOptions {
  runs: number;
  approve: number;
  /** Start calls in flight at once. */
  parallelStarts: number;
}

export async function waitingWorkload(options: WaitingOptions): Promise<WorkloadResult> {
  const bench = await openBenchEngine();
  try {
    const { engine } = bench;
    await engine.register(approvalWorkflow('gate'));
    engine.startWorker({ concurrency: 32 });
    const rssBefore = rssAfterGc();
    const heapBefore = process.memoryUsage().heapUsed / 1024 ** 2;

    let next = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: Math.min(options.parallelStarts, options.runs) }, async () => {
        while (next < options.runs) await engine.start('gate', {}, { runId: `gate-${next++}` });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    const rss = rssAfterGc();
    const heapMiB = process.memoryUsage().heapUsed / 1024 ** 2;

    const waiting = await engine.listRuns({ status: ['waiting'], limit: options.runs + 1 });
    if (waiting.length !== options.runs)
      throw new Error(`${waiting.length} of ${options.runs} runs are waiting`);
    const sample = Array.from(
      { length: options.approve },
      (_, i) => `gate-${Math.floor((i * options.runs) / options.approve)}`,
    );
    const finished = whenFinished(engine, sample, 120_000);
    await Promise.all(sample.map((runId) => engine.approve(runId, { by: 'bench' })));
    await finished;
    const stillWaiting = await engine.listRuns({ status: ['waiting'], limit: options.runs + 1 });
    if (stillWaiting.length !== options.runs - options.approve) {
      throw new Error(
        `${stillWaiting.length} runs waiting after approving ${options.approve} of ${options.runs}`,
      );
    }
    return {
      workload: 'waiting runs',
      shape: `${options.runs} runs parked on an approval`,
      throughput: options.runs / seconds,
      unit: 'runs started/s',
      rssMiB: rss,
      cpuMicros: (user + system) / options.runs,
      seconds,
      notes: [
        `RSS ${rssBefore.toFixed(0)} MiB before starting runs, ${rss.toFixed(0)} MiB with ${options.runs} waiting (after GC)`,
        `JS heap in use ${heapBefore.toFixed(1)} MiB before, ${heapMiB.toFixed(1)} MiB after`,
        `${options.parallelStarts} start calls in flight at once`,
        `${options.approve} approved runs completed; ${stillWaiting.length} still waiting`,
      ],
    };
  } finally {
    await bench.dispose();
  }
}
