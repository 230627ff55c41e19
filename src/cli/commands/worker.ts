/**
 * `baton worker`: executes due steps of every run in the store until SIGINT/SIGTERM, then
 * stops gracefully: it stops claiming, running steps get `--grace` to finish, and the rest
 * are aborted and their leases released so another worker takes them at once. It
 * registers nothing itself: TypeScript task handlers come from `--require` modules.
 */
import type { Command } from 'commander';
import type { RunEvent } from '../../core/events.ts';
import type { WorkerOptions } from '../../runtime/worker.ts';
import { redactUrl, resolveStoreUrl } from '../../store/open.ts';
import { parseDuration } from '../../util/duration.ts';
import { globalOptions, openEngine } from '../context.ts';
import { progressMessage } from '../event-text.ts';
import { usageError } from '../exit.ts';
import { formatTime, styleFor } from '../format.ts';
import { loadHandlerModules } from '../handlers.ts';
import { collect, collectList, parsePositiveInt } from '../inputs.ts';

interface WorkerCommandOptions {
  concurrency?: number;
  queue?: string[];
  require?: string[];
  quiet?: boolean;
  lease?: number;
  poll?: number;
  grace: number;
  id?: string;
  queueLimit?: QueueLimit[];
}

interface QueueLimit {
  queue: string;
  limit: number | undefined;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('execute runs from the store until interrupted (Ctrl-C or SIGTERM stops gracefully)')
    .option('--concurrency <n>', 'steps executed at once (default 32)', parsePositiveInt('--concurrency'))
    .option('--queue <name>', 'only take steps from this queue (repeatable or comma-separated)', collectList)
    .option(
      '--require <module>',
      'module exporting register(engine), e.g. task handlers (repeatable)',
      collect,
    )
    .option(
      '--lease <duration>',
      "how long a claimed step stays ours without a heartbeat; a dead worker's steps are taken over after it (default 30s)",
      durationOption('--lease', 100),
    )
    .option(
      '--poll <duration>',
      'longest sleep between looks for work (default 5s on PostgreSQL, woken by LISTEN/NOTIFY; 250ms on SQLite)',
      durationOption('--poll', 1),
    )
    .option(
      '--grace <duration>',
      'on SIGTERM/SIGINT, time running steps get to finish before they are released (default 10s)',
      durationOption('--grace', 0),
      10_000,
    )
    .option(
      '--queue-limit <queue=n>',
      'set the cluster-wide limit of steps of a queue running at once, for every worker (n or "none"; repeatable)',
      collectQueueLimit,
    )
    .option('--id <name>', 'worker id recorded as the lease owner (default <pid>-<random>)')
    .option('-q, --quiet', 'do not print a line per step event')
    .action(async (options: WorkerCommandOptions, command: Command) => {
      const globals = globalOptions(command);
      const queue = options.queue ?? [];
      const engine = await openEngine(globals);
      try {
        await loadHandlerModules(engine, options.require ?? []);
        for (const { queue: name, limit } of options.queueLimit ?? [])
          await engine.setQueueLimit(name, limit);
        const style = styleFor(process.stdout);
        if (!options.quiet) {
          engine.subscribe((event) => {
            if (event.type === 'history') printEvent(event.runId, event.event, style);
          });
        }
        const stopped = new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        const settings: WorkerOptions = {};
        if (options.concurrency !== undefined) settings.concurrency = options.concurrency;
        if (queue.length > 0) settings.queues = queue;
        if (options.lease !== undefined) settings.leaseMs = options.lease;
        if (options.poll !== undefined) settings.pollMs = options.poll;
        if (options.id !== undefined) settings.id = options.id;
        const worker = engine.startWorker(settings);
        const queues = queue.length > 0 ? `, queues ${queue.join(', ')}` : '';
        const wake = engine.store.onTasksAvailable ? 'woken by LISTEN/NOTIFY' : 'polling';
        process.stderr.write(
          `worker ${worker.id} started on ${redactUrl(resolveStoreUrl(globals.store))}${queues} ` +
            `(concurrency ${worker.concurrency}, lease ${worker.leaseMs}ms, ${wake}, poll ${worker.pollMs}ms); ` +
            'press Ctrl-C to stop\n',
        );
        const signal = await stopped;
        const inFlight = worker.inFlightCount;
        process.stderr.write(
          `${signal}: stopping${inFlight > 0 ? `; ${inFlight} running step(s) get ${options.grace}ms to finish` : ''}…\n`,
        );
        process.once('SIGINT', () => process.exit(130));
        process.once('SIGTERM', () => process.exit(143));
        await engine.stopWorker(options.grace);
        process.stderr.write('worker stopped\n');
      } finally {
        await engine.close();
      }
    });
}

function durationOption(name: string, min: number): (value: string) => number {
  return (value) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch {
      throw usageError(`${name} expects a duration such as 500ms, 30s or 2m, got "${value}"`);
    }
    if (ms < min) throw usageError(`${name} must be at least ${min}ms, got "${value}"`);
    return ms;
  };
}

function collectQueueLimit(value: string, previous: QueueLimit[] = []): QueueLimit[] {
  const match = /^([^=\s]+)=(\d+|none)$/.exec(value.trim());
  const limit = match?.[2] === 'none' ? undefined : Number(match?.[2]);
  if (!match || (limit !== undefined && limit < 1))
    throw usageError(`--queue-limit expects <queue>=<n> (n ≥ 1) or <queue>=none, got "${value}"`);
  return [...previous, { queue: match[1], limit }];
}

function printEvent(runId: string, event: RunEvent, style: ReturnType<typeof styleFor>): void {
  const message = progressMessage(event, undefined);
  if (message !== undefined)
    process.stdout.write(`${style.dim(formatTime(event.at))} ${style.dim(runId)} ${message}\n`);
}
