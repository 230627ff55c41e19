/** `baton pause|resume|cancel|retry <runId>`: operator commands, recorded in the run's history. */
import type { Command } from 'commander';
import type { Engine } from '../../runtime/engine.ts';
import { actor, batonCommand, globalOptions, printJson, withEngine } from '../context.ts';
import { colourStatus, styleFor } from '../format.ts';

type Verb = 'pause' | 'resume' | 'cancel' | 'retry';

const VERBS: { verb: Verb; past: string; description: string; reason: boolean }[] = [
  {
    verb: 'pause',
    past: 'paused',
    description: 'pause a run: no new step starts until it is resumed',
    reason: true,
  },
  { verb: 'resume', past: 'resumed', description: 'resume a paused run', reason: false },
  {
    verb: 'cancel',
    past: 'cancelled',
    description: 'cancel a run: running steps are aborted',
    reason: true,
  },
  {
    verb: 'retry',
    past: 'retried',
    description: 're-open a failed or cancelled run: failed steps run again, completed ones are kept',
    reason: false,
  },
];

export function registerControl(program: Command): void {
  for (const { verb, past, description, reason } of VERBS) {
    const command = program.command(verb).description(description).argument('<runId>', 'run id');
    command.option('--by <name>', 'who does it (default: the operating-system user)');
    if (reason) command.option('--reason <text>', 'why, recorded in the history');
    command.action(async (runId: string, options: { by?: string; reason?: string }, self: Command) => {
      const globals = globalOptions(self);
      const status = await withEngine(globals, async (engine) => {
        await apply(engine, verb, runId, { by: actor(options.by), reason: options.reason });
        return (await engine.getRun(runId)).status;
      });
      if (globals.json) return printJson({ runId, action: verb, status });
      const style = styleFor(process.stdout);
      process.stdout.write(`${past} run ${runId}; it is now ${colourStatus(status, status, style)}\n`);
      if ((verb === 'retry' || verb === 'resume') && (status === 'running' || status === 'pending')) {
        process.stdout.write(style.dim(`a worker continues it: ${batonCommand(globals)} worker\n`));
      }
    });
  }
}

function apply(
  engine: Engine,
  verb: Verb,
  runId: string,
  options: { by?: string; reason?: string },
): Promise<void> {
  switch (verb) {
    case 'pause':
      return engine.pause(runId, options);
    case 'resume':
      return engine.resume(runId, options);
    case 'cancel':
      return engine.cancel(runId, options);
    case 'retry':
      return engine.retry(runId, options);
  }
}
