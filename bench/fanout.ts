/**
 * Fan-out: each run is one map step over `width` no-op tasks. Runs are kept `inFlight`
 * at a time (a closed loop), so run latency (start call to the commit of RunCompleted)
 * is not inflated by a queue of runs that have not started yet.
 */
import type { WorkloadResult } from './result.ts';
import { fanOutWorkflow, openBenchEngine, rssAfterGc, whenFinished } from './setup.ts';
import { summarize } from './stats.ts';

export interface FanOutOptions {
  runs: number;
  width: number;
  inFlight: number;
  concurrency: number;
}

export async function fanOutWorkload(options: FanOutOptions): Promise<WorkloadResult> {
  const bench = await openBenchEngine();
  try {
    const { engine } = bench;
    await engine.register(fanOutWorkflow('fan', options.width));
    engine.startWorker({ concurrency: options.concurrency });
    let next = 0;
    const runOne = async (prefix: string): Promise<number> => {
      const runId = `${prefix}-${next++}`;
      const started = performance.now();
      const finished = whenFinished(engine, [runId], 600_000);
      await engine.start('fan', {}, { runId });
      await finished;
      return performance.now() - started;
    };
    await Promise.all(Array.from({ length: Math.min(2, options.runs) }, () => runOne('warmup')));

    const latencies: number[] = [];
    let remaining = options.runs;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: Math.min(options.inFlight, options.runs) }, async () => {
        while (remaining > 0) {
          remaining--;
          latencies.push(await runOne('fan'));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    const steps = options.runs * options.width;
    const sample = await engine.getRun(`fan-${next - 1}`);
    const output = sample.steps.find((step) => step.path === 'fan')?.output;
    if (sample.status !== 'completed' || !Array.isArray(output) || output.length !== options.width) {
      throw new Error(
        `fan-out run ${sample.id} is ${sample.status} with map output ${JSON.stringify(output)?.slice(0, 80)}`,
      );
    }
    return {
      workload: `fan-out ${options.width}`,
      shape: `${options.runs} runs × map of ${options.width}, ${options.inFlight} runs at a time`,
      throughput: steps / seconds,
      unit: 'steps/s',
      latency: { ...summarize(latencies), of: 'run, start to outcome' },
      rssMiB: rssAfterGc(),
      cpuMicros: (user + system) / steps,
      seconds,
      notes: [`worker concurrency ${options.concurrency}`],
    };
  } finally {
    await bench.dispose();
  }
}
