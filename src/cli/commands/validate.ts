/** `baton validate <file...>`: checks workflow files and lists every problem with its position. */
import type { Command } from 'commander';
import { BatonError } from '../../errors.ts';
import { createBuiltinRegistry } from '../../kinds/builtin.ts';
import { type Issue, loadWorkflowFile } from '../../language/index.ts';
import { globalOptions, printJson } from '../context.ts';
import { describeError, EXIT, formatIssueLines } from '../exit.ts';
import { styleFor } from '../format.ts';

interface FileReport {
  file: string;
  ok: boolean;
  name?: string;
  version?: string;
  issues?: Issue[];
  error?: { code: string; message: string };
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'check workflow files; prints every problem as file:line:column (exit 2 when any is invalid)',
    )
    .argument('<file...>', 'workflow files (YAML or JSON)')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const registry = createBuiltinRegistry();
      const reports: FileReport[] = [];
      for (const file of files) reports.push(await check(file, registry));
      if (globals.json) printJson(reports);
      else print(reports);
      if (reports.some((report) => !report.ok)) process.exitCode = EXIT.usage;
    });
}

async function check(file: string, registry: ReturnType<typeof createBuiltinRegistry>): Promise<FileReport> {
  try {
    const definition = await loadWorkflowFile(file, { registry });
    return { file, ok: true, name: definition.name, version: definition.version };
  } catch (error) {
    if (!(error instanceof BatonError)) throw error;
    const issues = error.details.issues;
    if (error.code === 'WORKFLOW_INVALID' && Array.isArray(issues))
      return { file, ok: false, issues: issues as Issue[] };
    return { file, ok: false, error: { code: error.code, message: error.message } };
  }
}

function print(reports: readonly FileReport[]): void {
  const out = styleFor(process.stdout);
  for (const report of reports) {
    if (report.ok) {
      process.stdout.write(`${out.green('ok')} ${report.file} (${report.name}@${report.version})\n`);
    } else if (report.issues) {
      const count = report.issues.length;
      process.stdout.write(
        `${out.red('invalid')} ${report.file}: ${count} problem${count === 1 ? '' : 's'}\n`,
      );
      for (const line of formatIssueLines(report.issues)) process.stdout.write(`${line}\n`);
    } else if (report.error) {
      process.stdout.write(
        `${describeError(new BatonError(report.error.code, report.error.message), out, false)}\n`,
      );
    }
  }
}
