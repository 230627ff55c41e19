/** `--output <file>` or stdout, for commands that generate a document. */
import { writeFile } from 'node:fs/promises';
import { BatonError } from '../errors.ts';

export async function writeOutput(text: string, file: string | undefined): Promise<void> {
  if (file === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new BatonError(
      'CLI_USAGE',
      `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { cause: error },
    );
  }
  process.stderr.write(`wrote ${file}\n`);
}
