/** `baton schema`: the JSON Schema of workflow files, for editors (yaml-language-server, VS Code). */
import type { Command } from 'commander';
import { createBuiltinRegistry } from '../../kinds/builtin.ts';
import { workflowJsonSchema } from '../../language/index.ts';
import { writeOutput } from '../write-output.ts';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of the workflow format, for editor completion and checks')
    .option('-o, --output <file>', 'write to this file instead of stdout (e.g. baton.schema.json)')
    .action(async (options: { output?: string }) => {
      const schema = workflowJsonSchema(createBuiltinRegistry());
      await writeOutput(`${JSON.stringify(schema, null, 2)}\n`, options.output);
    });
}
