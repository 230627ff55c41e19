/** `baton runs list` and `baton runs show`. */
import type { Command } from 'commander';
import type { RunStatus } from '../../core/state.ts';
import { globalOptions, printJson, withEngine } from '../context.ts';
import { usageError } from '../exit.ts';
import { colourStatus, formatDateTime, formatDuration, styleFor, table } from '../format.ts';
import { collectList, parsePositiveInt } from '../inputs.ts';
import { showRun } from './runs-show.ts';

const RUN_STATUSES: readonly RunStatus[] = [
  'pending',
  'running',
  'waiting',
  'paused',
  'completed',
  'failed',
  'cancelled',
];

interface ListOptions {
  status?: string[];
  workflow?: string;
  limit: number;
}

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list and inspect runs');
  runs
    .command('list')
    .alias('ls')
    .description('list runs, newest first')
    .option(
      '--status <status>',
      `only runs with this status: ${RUN_STATUSES.join(', ')} (repeatable)`,
      collectList,
    )
    .option('--workflow <name>', 'only runs of this workflow')
    .option('--limit <n>', 'at most this many runs', parsePositiveInt('--limit'), 20)
    .action(async (options: ListOptions, command: Command) => {
      const globals = globalOptions(command);
      const statuses = options.status ?? [];
      for (const status of statuses) {
        if (!(RUN_STATUSES as readonly string[]).includes(status)) {
          throw usageError(`unknown status "${status}"; expected one of ${RUN_STATUSES.join(', ')}`);
        }
      }
      const rows = await withEngine(globals, (engine) =>
        engine.listRuns({
          status: statuses.length > 0 ? (statuses as RunStatus[]) : undefined,
          workflow: options.workflow,
          limit: options.limit,
        }),
      );
      if (globals.json) return printJson(rows);
      if (rows.length === 0) {
        process.stderr.write('no runs\n');
        return;
      }
      const style = styleFor(process.stdout);
      const now = Date.now();
      const lines = rows.map((run) => [
        run.id,
        `${run.workflowName}@${run.workflowVersion}`,
        colourStatus(run.status, run.status, style),
        formatDateTime(run.createdAt),
        run.finishedAt === undefined
          ? style.dim(`${formatDuration(now - run.createdAt)}…`)
          : formatDuration(run.finishedAt - run.createdAt),
      ]);
      process.stdout.write(`${table(['ID', 'WORKFLOW', 'STATUS', 'CREATED', 'DURATION'], lines, style)}\n`);
    });
  runs
    .command('show')
    .description('show a run: status, input, output or error, steps and pending approvals')
    .argument('<runId>', 'run id')
    .option('--history', 'also print every history event')
    .action(async (runId: string, options: { history?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      await withEngine(globals, (engine) => showRun(engine, globals, runId, options.history === true));
    });
}
