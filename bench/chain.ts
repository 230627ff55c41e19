/**
 * Sequential chain: every run is a chain of no-op task steps, so each step's result
 * must be committed before the next step can start. Throughput is durable steps per
 * second; a step's latency is the time from the commit that scheduled it (the previous
 * step's result) to the commit that recorded its own result, measured on the engine's
 * event stream.
 */
import type { Engine } from '../src/runtime/engine.ts';
import type { WorkloadResult } from './result.ts';
import { chainWorkflow, openBenchEngine, rssAfterGc, whenFinished } from './setup.ts';
import { summarize } from './stats.ts';

export interface ChainOptions {
  runs: number;
  steps: number;
  concurrency: number;
  label: string;
}

export async function chainWorkload(options: ChainOptions): Promise<WorkloadResult> {
  const bench = await openBenchEngine();
  try {
    const { engine } = bench;
    await engine.register(chainWorkflow('warmup', 20));
    await engine.register(chainWorkflow('chain', options.steps));
    engine.startWorker({ concurrency: options.concurrency });
    await runChains(engine, 'warmup', 'w', Math.min(options.runs, 10));

    const latencies: number[] = [];
    const scheduledAt = new Map<string, number>();
    const unsubscribe = engine.subscribe((event) => {
      if (event.type !== 'history') return;
      const e = event.event;
      if (e.type === 'StepScheduled') scheduledAt.set(`${event.runId}/${e.path}`, performance.now());
      else if (e.type === 'StepCompleted') {
        const key = `${event.runId}/${e.path}`;
        const start = scheduledAt.get(key);
        if (start !== undefined) latencies.push(performance.now() - start);
        scheduledAt.delete(key);
      }
    });
    const started = performance.now();
    const cpu = process.cpuUsage();
    const runIds = await runChains(engine, 'chain', 'c', options.runs);
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    unsubscribe();

    for (const runId of runIds) {
      const run = await engine.getRun(runId);
      const completed = run.steps.filter((s) => s.status === 'completed').length;
      if (run.status !== 'completed' || completed !== options.steps) {
        throw new Error(`run ${runId} is ${run.status} with ${completed}/${options.steps} steps completed`);
      }
    }
    const steps = options.runs * options.steps;
    return {
      workload: options.label,
      shape: `${options.runs} run${options.runs === 1 ? '' : 's'} × ${options.steps}-step chain`,
      throughput: steps / seconds,
      unit: 'steps/s',
      latency: { ...summarize(latencies), of: 'step, commit to commit' },
      rssMiB: rssAfterGc(),
      cpuMicros: (user + system) / steps,
      seconds,
      notes: [`worker concurrency ${options.concurrency}`],
    };
  } finally {
    await bench.dispose();
  }
}

async function runChains(engine: Engine, name: string, prefix: string, runs: number): Promise<string[]> {
  const runIds = Array.from({ length: runs }, (_, i) => `${prefix}-${i}`);
  const finished = whenFinished(engine, runIds, 600_000);
  await Promise.all(runIds.map((runId) => engine.start(name, {}, { runId })));
  await finished;
  return runIds;
}
