/** `baton approve` and `baton reject`: record a decision on a run's pending approval. */
import type { Command } from 'commander';
import type { JsonValue } from '../../errors.ts';
import type { Engine } from '../../runtime/engine.ts';
import { actor, batonCommand, type GlobalOptions, globalOptions, printJson, withEngine } from '../context.ts';
import { usageError } from '../exit.ts';
import { colourStatus, styleFor } from '../format.ts';

interface DecideOptions {
  step?: string;
  comment?: string;
  by?: string;
  payload?: string;
}

export function registerDecisions(program: Command): void {
  for (const verb of ['approve', 'reject'] as const) {
    program
      .command(verb)
      .description(`${verb} a run's pending approval`)
      .argument('<runId>', 'run id')
      .option('--step <id>', 'step id or path of the approval (needed when several are pending)')
      .option('--comment <text>', 'comment recorded with the decision')
      .option('--by <name>', 'who decides (default: the operating-system user)')
      .option('--payload <json>', 'JSON value recorded with the decision (e.g. edited data)')
      .action(async (runId: string, options: DecideOptions, command: Command) => {
        const globals = globalOptions(command);
        const payload = options.payload === undefined ? undefined : parsePayload(options.payload);
        await withEngine(globals, (engine) => decide(engine, globals, verb, runId, options, payload));
      });
  }
}

async function decide(
  engine: Engine,
  globals: GlobalOptions,
  verb: 'approve' | 'reject',
  runId: string,
  options: DecideOptions,
  payload: JsonValue | undefined,
): Promise<void> {
  const pending = await engine.pendingApprovals({ runId });
  const matching =
    options.step === undefined
      ? pending
      : pending.filter(({ step }) => step.path === options.step || step.stepId === options.step);
  const decision = { step: options.step, comment: options.comment, by: actor(options.by), payload };
  if (verb === 'approve') await engine.approve(runId, decision);
  else await engine.reject(runId, decision);
  const path = matching.length === 1 ? matching[0].step.path : options.step;
  const run = await engine.getRun(runId);
  const decided = verb === 'approve' ? 'approved' : 'rejected';
  if (globals.json)
    return printJson({
      runId,
      step: path,
      decision: decided,
      by: decision.by ?? null,
      comment: options.comment ?? null,
      status: run.status,
    });
  const style = styleFor(process.stdout);
  const who = decision.by ? ` by ${decision.by}` : '';
  const comment = options.comment ? `: ${options.comment}` : '';
  process.stdout.write(`${decided} "${path}" of run ${runId}${who}${comment}\n`);
  process.stdout.write(`run ${runId} is now ${colourStatus(run.status, run.status, style)}\n`);
  if (run.status === 'running' || run.status === 'pending') {
    process.stdout.write(
      style.dim(
        `(a worker continues it: the \`baton run\` that started it, or ${batonCommand(globals)} worker)\n`,
      ),
    );
  }
}

function parsePayload(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw usageError(
      `--payload is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
