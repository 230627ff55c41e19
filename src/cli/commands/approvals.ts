/** `baton approvals`: pending approvals across runs, oldest first, with the command to decide. */
import type { Command } from 'commander';
import { approvalCommand } from '../approval-hint.ts';
import { globalOptions, printJson, withEngine } from '../context.ts';
import { formatAgo, styleFor, table, truncate } from '../format.ts';
import { parsePositiveInt } from '../inputs.ts';

export function registerApprovals(program: Command): void {
  program
    .command('approvals')
    .description('list approvals waiting for a decision, across runs')
    .option('--limit <n>', 'at most this many', parsePositiveInt('--limit'), 100)
    .action(async (options: { limit: number }, command: Command) => {
      const globals = globalOptions(command);
      const pending = await withEngine(globals, (engine) =>
        engine.pendingApprovals({ limit: options.limit }),
      );
      if (globals.json) {
        return printJson(
          pending.map(({ run, step }) => ({
            runId: run.id,
            workflow: `${run.workflowName}@${run.workflowVersion}`,
            step: step.path,
            request: (step.detail?.approval as { request?: unknown } | undefined)?.request ?? null,
            since: step.updatedAt,
          })),
        );
      }
      if (pending.length === 0) {
        process.stderr.write('no pending approvals\n');
        return;
      }
      const style = styleFor(process.stdout);
      const now = Date.now();
      const rows = pending.map(({ run, step }) => {
        const request = (step.detail?.approval as { request?: { message?: string } } | undefined)?.request;
        return [run.id, step.path, truncate(request?.message ?? '', 60), formatAgo(step.updatedAt, now)];
      });
      process.stdout.write(`${table(['RUN', 'STEP', 'MESSAGE', 'WAITING SINCE'], rows, style)}\n`);
      const first = pending[0];
      process.stdout.write(
        style.dim(
          `\ndecide with e.g.: ${approvalCommand(globals, 'approve', first.run.id, first.step.path)}\n`,
        ),
      );
    });
}
