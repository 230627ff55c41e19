/** The machine a benchmark ran on, for the report. */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { DatabaseSync } from 'node:sqlite';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  sqlite: string;
  platform: string;
}

export function describeMachine(): Machine {
  const db = new DatabaseSync(':memory:');
  const sqlite = String((db.prepare('select sqlite_version() as v').get() as { v: string }).v);
  db.close();
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    sqlite,
    platform: `${process.platform} ${process.arch}`,
  };
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // Not Linux: fall through to what Node reports.
  }
  return 'unknown';
}
