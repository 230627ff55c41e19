/** `baton graph <file>`: the workflow's steps as a Mermaid flowchart. */
import type { Command } from 'commander';
import { createBuiltinRegistry } from '../../kinds/builtin.ts';
import { loadWorkflowFile } from '../../language/index.ts';
import { workflowToMermaid } from '../graph.ts';
import { writeOutput } from '../write-output.ts';

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('print the workflow as a Mermaid flowchart (paste into Markdown, GitHub renders it)')
    .argument('<file>', 'workflow file (YAML or JSON)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (file: string, options: { output?: string }) => {
      const definition = await loadWorkflowFile(file, { registry: createBuiltinRegistry() });
      await writeOutput(workflowToMermaid(definition), options.output);
    });
}
