/**
 * `baton run <file>`: registers the file's definition, starts a run and executes it with a
 * worker in this process until it finishes, showing progress on stderr and the output on
 * stdout. The run is durable: Ctrl-C stops this process, not the run.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { RunState } from '../../core/state.ts';
import { loadWorkflowFile, type WorkflowDefinition } from '../../language/index.ts';
import type { Engine } from '../../runtime/engine.ts';
import type { Worker } from '../../runtime/worker.ts';
import { approvalHint, pendingApprovalSteps } from '../approval-hint.ts';
import { watchChildApprovals } from '../child-approvals.ts';
import { batonCommand, type GlobalOptions, globalOptions, openEngine, printJson } from '../context.ts';
import { errorText } from '../event-text.ts';
import { EXIT } from '../exit.ts';
import { followRun } from '../follow.ts';
import { formatDuration, prettyJson, styleFor } from '../format.ts';
import { loadHandlerModules } from '../handlers.ts';
import { collect, collectInputs, parsePositiveInt } from '../inputs.ts';
import { createProgress } from '../progress.ts';

interface RunOptions {
  input?: string[];
  inputFile?: string;
  idempotencyKey?: string;
  wait: boolean;
  require?: string[];
  with?: string[];
  concurrency?: number;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('register a workflow file, start a run and execute it in this process until it finishes')
    .argument('<file>', 'workflow file (YAML or JSON)')
    .option(
      '-i, --input <key=value>',
      'an input; the value is JSON when it parses, else a string (repeatable)',
      collect,
    )
    .option('--input-file <file>', 'JSON object of inputs; --input values override its entries')
    .option(
      '--idempotency-key <key>',
      'start at most one run for this key; a repeated call follows the first run',
    )
    .option('--no-wait', 'only start the run and print its id; `baton worker` executes it')
    .option(
      '--with <file>',
      'also register this workflow file, e.g. a child workflow it starts (repeatable)',
      collect,
    )
    .option(
      '--require <module>',
      'module exporting register(engine), e.g. task handlers (repeatable)',
      collect,
    )
    .option('--concurrency <n>', 'steps this process executes at once', parsePositiveInt('--concurrency'))
    .action(async (file: string, options: RunOptions, command: Command) => {
      const globals = globalOptions(command);
      const inputs = await collectInputs(options.input ?? [], options.inputFile);
      const engine = await openEngine(globals);
      try {
        await loadHandlerModules(engine, options.require ?? []);
        for (const extra of options.with ?? []) await registerFile(engine, extra);
        const definition = await registerFile(engine, file);
        const handle = await engine.start(definition, inputs, { idempotencyKey: options.idempotencyKey });
        if (!handle.created) process.stderr.write(`idempotency key matched run ${handle.id}; following it\n`);
        if (!options.wait) return await reportStarted(engine, globals, handle.id, handle.created);
        process.exitCode = await execute(engine, globals, handle.id, options.concurrency);
      } finally {
        await engine.close();
      }
    });
}

/** Registers a file's definition with its source text (kept for `baton definitions` and the UI). */
async function registerFile(engine: Engine, file: string): Promise<WorkflowDefinition> {
  const definition = await loadWorkflowFile(file, { registry: engine.registry });
  const source = await readFile(file, 'utf8').catch(() => undefined);
  await engine.register(definition, source);
  return definition;
}

async function reportStarted(
  engine: Engine,
  globals: GlobalOptions,
  runId: string,
  created: boolean,
): Promise<void> {
  const run = await engine.getRun(runId);
  if (globals.json) return printJson({ runId, created, status: run.status });
  process.stdout.write(`${runId}\n`);
  process.stderr.write(
    `run ${runId} is ${run.status}; a worker executes it: ${batonCommand(globals)} worker\n`,
  );
}

/** Runs a worker and follows the run until it ends or the user interrupts; returns the exit code. */
async function execute(
  engine: Engine,
  globals: GlobalOptions,
  runId: string,
  concurrency: number | undefined,
): Promise<number> {
  const err = styleFor(process.stderr);
  const progress = createProgress(
    process.stderr,
    err,
    Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb',
  );
  const interrupt = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write('\nforced exit; the run stays in the store\n');
      process.exit(EXIT.interrupted);
    }
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const hinted = new Set<string>();
  let stopWatching = () => {};
  try {
    const worker = engine.startWorker(concurrency === undefined ? {} : { concurrency });
    stopWatching = watchChildApprovals(engine, runId, (childRunId, path) =>
      progress.note(err.yellow(`${approvalHint(globals, childRunId, path)}\n  (in child run ${childRunId})`)),
    );
    const state = await followRun(engine, runId, {
      signal: interrupt.signal,
      onEvent: (event, current) => progress.event(event, current),
      onBatch: (current) => {
        for (const step of pendingApprovalSteps(current.steps.values())) {
          if (hinted.has(step.path)) continue;
          hinted.add(step.path);
          progress.note(err.yellow(approvalHint(globals, runId, step.path)));
        }
      },
    });
    progress.finish();
    if (!state.outcome) return await interrupted(engine, worker, globals, state);
    return report(globals, state);
  } finally {
    stopWatching();
    progress.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function interrupted(
  engine: Engine,
  worker: Worker,
  globals: GlobalOptions,
  state: RunState,
): Promise<number> {
  const inFlight = worker.inFlightCount;
  if (inFlight > 0)
    process.stderr.write(
      `stopping: waiting for ${inFlight} task(s) in progress to finish (Ctrl-C again to quit now)\n`,
    );
  await engine.stopWorker();
  const run = await engine.getRun(state.id);
  const baton = batonCommand(globals);
  process.stderr.write(
    `interrupted: run ${state.id} is durable and stays ${run.status} in the store.\n` +
      `  continue it with: ${baton} worker\n` +
      `  inspect it with:  ${baton} runs show ${state.id}\n`,
  );
  return EXIT.interrupted;
}

function report(globals: GlobalOptions, state: RunState): number {
  const err = styleFor(process.stderr);
  const failedSteps = [...state.steps.values()].filter((step) => step.status === 'failed');
  if (globals.json) {
    printJson({
      runId: state.id,
      status: state.outcome,
      output: state.output ?? null,
      error: state.error,
      failedSteps: failedSteps.map((step) => ({ path: step.path, attempt: step.attempt, error: step.error })),
    });
  } else if (state.outcome === 'completed') {
    process.stdout.write(`${prettyJson(state.output)}\n`);
  }
  const took = formatDuration((state.finishedAt ?? Date.now()) - state.createdAt);
  if (state.outcome === 'completed') {
    process.stderr.write(`${err.green('✓')} run ${state.id} completed in ${took}\n`);
    return EXIT.ok;
  }
  const lines = [
    `${err.red('✗')} run ${state.id} ${state.outcome} after ${took}${state.error ? `: ${errorText(state.error)}` : ''}`,
  ];
  for (const step of failedSteps)
    lines.push(`  failed step: ${step.path} (attempt ${step.attempt}): ${errorText(step.error)}`);
  const baton = batonCommand(globals);
  lines.push(
    `  inspect it with: ${baton} runs show ${state.id}`,
    `  retry it with:   ${baton} retry ${state.id}`,
  );
  process.stderr.write(`${lines.join('\n')}\n`);
  return EXIT.runFailed;
}
