/**
 * `baton worker`: executes due steps of every run in the store until SIGINT/SIGTERM, then
 * stops gracefully (running steps get time to finish; the rest are released for others).
 * It registers nothing itself: TypeScript task handlers come from `--require` modules.
 */
import type { Command } from 'commander';
import type { RunEvent } from '../../core/events.ts';
import { redactUrl, resolveStoreUrl } from '../../store/open.ts';
import { globalOptions, openEngine } from '../context.ts';
import { progressMessage } from '../event-text.ts';
import { formatTime, styleFor } from '../format.ts';
import { loadHandlerModules } from '../handlers.ts';
import { collect, collectList, parsePositiveInt } from '../inputs.ts';

interface WorkerCommandOptions {
  concurrency?: number;
  queue?: string[];
  require?: string[];
  quiet?: boolean;
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
    .option('-q, --quiet', 'do not print a line per step event')
    .action(async (options: WorkerCommandOptions, command: Command) => {
      const globals = globalOptions(command);
      const queue = options.queue ?? [];
      const engine = await openEngine(globals);
      try {
        await loadHandlerModules(engine, options.require ?? []);
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
        const worker = engine.startWorker({
          ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
          ...(queue.length > 0 ? { queues: queue } : {}),
        });
        const queues = queue.length > 0 ? `, queues ${queue.join(', ')}` : '';
        process.stderr.write(
          `worker ${worker.id} started on ${redactUrl(resolveStoreUrl(globals.store))}${queues}; press Ctrl-C to stop\n`,
        );
        const signal = await stopped;
        const inFlight = worker.inFlightCount;
        process.stderr.write(
          `${signal}: stopping${inFlight > 0 ? ` after ${inFlight} running step(s) finish` : ''}…\n`,
        );
        process.once('SIGINT', () => process.exit(130));
        await engine.stopWorker();
        process.stderr.write('worker stopped\n');
      } finally {
        await engine.close();
      }
    });
}

function printEvent(runId: string, event: RunEvent, style: ReturnType<typeof styleFor>): void {
  const message = progressMessage(event, undefined);
  if (message !== undefined)
    process.stdout.write(`${style.dim(formatTime(event.at))} ${style.dim(runId)} ${message}\n`);
}
