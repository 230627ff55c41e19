/** Which stored definition a workflow name (and version) resolves to on SQLite: the newest stored under it. */
import type { StatementSync } from 'node:sqlite';

export function newestDefinitionHash(
  sql: (text: string) => StatementSync,
  name: string,
  version?: string,
): string | undefined {
  const row = (
    version === undefined
      ? sql('SELECT hash FROM definitions WHERE name = ? ORDER BY ordinal DESC LIMIT 1').get(name)
      : sql('SELECT hash FROM definitions WHERE name = ? AND version = ? ORDER BY ordinal DESC LIMIT 1').get(
          name,
          version,
        )
  ) as { hash: unknown } | undefined;
  return row === undefined ? undefined : String(row.hash);
}
