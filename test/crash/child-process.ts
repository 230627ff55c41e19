/** Starting, watching and SIGKILLing the crash test's worker processes. */
import { fileURLToPath } from 'node:url';
import { type Child, spawnChild } from '../helpers/child.ts';

const CHILD_SCRIPT = fileURLToPath(new URL('./worker-child.ts', import.meta.url));

export interface ChildOptions {
  db: string;
  effects: string;
  starts: string;
  runs: number;
  leaseMs: number;
  concurrency: number;
  untilDone?: boolean;
}

export function startChild(options: ChildOptions): Child {
  const args = [
    ...['--db', options.db, '--effects', options.effects, '--starts', options.starts],
    ...[
      '--runs',
      String(options.runs),
      '--lease-ms',
      String(options.leaseMs),
      '--concurrency',
      String(options.concurrency),
    ],
    ...(options.untilDone ? ['--until-done'] : []),
  ];
  return spawnChild(CHILD_SCRIPT, args);
}
