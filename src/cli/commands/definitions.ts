/** `baton definitions`: workflow definitions registered in the store. */
import type { Command } from 'commander';
import { globalOptions, printJson, withEngine } from '../context.ts';
import { formatDateTime, styleFor, table } from '../format.ts';

export function registerDefinitions(program: Command): void {
  program
    .command('definitions')
    .description('list workflow definitions registered in the store (each distinct content is a version)')
    .action(async (_options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const definitions = await withEngine(globals, (engine) => engine.store.listDefinitions());
      if (globals.json) return printJson(definitions);
      if (definitions.length === 0) {
        process.stderr.write('no definitions registered (baton run <file> registers one)\n');
        return;
      }
      const rows = definitions.map((d) => [
        d.name,
        d.version,
        d.hash.slice(0, 12),
        formatDateTime(d.createdAt),
      ]);
      process.stdout.write(
        `${table(['NAME', 'VERSION', 'HASH', 'REGISTERED'], rows, styleFor(process.stdout))}\n`,
      );
    });
}
