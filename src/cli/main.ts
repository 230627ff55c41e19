/**
 * The `baton` command line: parses options with commander, runs one command against the
 * store and maps the outcome to an exit code (see exit.ts). `bin/baton.js` calls `main`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { registerApprovals } from './commands/approvals.ts';
import { registerControl } from './commands/control.ts';
import { registerDecisions } from './commands/decide.ts';
import { registerDefinitions } from './commands/definitions.ts';
import { registerGraph } from './commands/graph.ts';
import { registerRun } from './commands/run.ts';
import { registerRuns } from './commands/runs.ts';
import { registerSchema } from './commands/schema.ts';
import { registerUsage } from './commands/usage.ts';
import { registerValidate } from './commands/validate.ts';
import { registerWorker } from './commands/worker.ts';
import { LOG_LEVELS } from './context.ts';
import { describeError, EXIT, exitCodeFor } from './exit.ts';
import { styleFor } from './format.ts';
import { collectList } from './inputs.ts';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(): Command {
  const program = new Command('baton')
    .description(
      'Baton: durable workflows for agentic pipelines, embedded on SQLite or scaled out on PostgreSQL',
    )
    .version(packageVersion(), '-V, --version')
    .option(
      '--store <url>',
      'store URL: sqlite:<path>, postgres://… (default: $BATON_DATABASE_URL or sqlite:.baton/baton.db)',
    )
    .option('--json', 'machine-readable JSON output')
    .option(
      '--allow-host <host>',
      'host, IP or CIDR that http steps may reach although private or loopback (repeatable; also $BATON_HTTP_ALLOW)',
      collectList,
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'engine log level, JSON lines on stderr (default: $BATON_LOG_LEVEL or warn)',
      ).choices(LOG_LEVELS),
    )
    .option('--debug', 'print stack traces of unexpected errors')
    .exitOverride()
    .showSuggestionAfterError()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });
  registerValidate(program);
  registerRun(program);
  registerWorker(program);
  registerRuns(program);
  registerUsage(program);
  registerDecisions(program);
  registerApprovals(program);
  registerControl(program);
  registerGraph(program);
  registerSchema(program);
  registerDefinitions(program);
  return program;
}

/** Runs the command line and returns the exit code (never throws). */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    process.stderr.write(`${describeError(error, styleFor(process.stderr), argv.includes('--debug'))}\n`);
    return exitCodeFor(error);
  }
}

function isEntryPoint(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === 'boolean') return meta.main;
  try {
    return (
      process.argv[1] !== undefined &&
      realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // Exit explicitly: open handles (HTTP keep-alive sockets, sandbox timers) must not keep a finished command alive.
  process.exit(await main());
}
