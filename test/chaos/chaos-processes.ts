/**
 * Chaos test plumbing: how big a run is (CI or full), starting chaos-child workers, and
 * reading what they logged. `npm run chaos` sets CHAOS_FULL=1 for the full versions.
 */
import { fileURLToPath } from 'node:url';
import { type Child, spawnChild } from '../helpers/child.ts';

export const FULL = process.env.CHAOS_FULL === '1';

/** The CI or the full size of a knob, overridable with an environment variable. */
export function knob(name: string, ci: number, full: number): number {
  const value = process.env[name];
  return value === undefined || value === '' ? (FULL ? full : ci) : Number(value);
}

const CHILD_SCRIPT = fileURLToPath(new URL('./chaos-child.ts', import.meta.url));

export interface ChaosChildOptions {
  url: string;
  effects: string;
  claims?: string;
  starts?: string;
  runs?: number;
  workflow?: 'crash' | 'race';
  items?: number;
  leaseMs?: number;
  concurrency?: number;
  id?: string;
  slowMs?: number;
  /** Ignore the store's notices and poll every `pollMs` (for measuring what LISTEN/NOTIFY saves). */
  noNotify?: boolean;
  pollMs?: number;
  untilDone?: boolean;
}

export function startChaosChild(options: ChaosChildOptions): Child {
  const args = ['--url', options.url, '--effects', options.effects];
  const optional: [string, string | number | undefined][] = [
    ['--claims', options.claims],
    ['--starts', options.starts],
    ['--runs', options.runs],
    ['--workflow', options.workflow],
    ['--items', options.items],
    ['--lease-ms', options.leaseMs],
    ['--concurrency', options.concurrency],
    ['--id', options.id],
    ['--slow-ms', options.slowMs],
    ['--poll-ms', options.pollMs],
  ];
  for (const [flag, value] of optional) if (value !== undefined) args.push(flag, String(value));
  if (options.untilDone) args.push('--until-done');
  if (options.noNotify) args.push('--no-notify');
  // CHAOS_CHILD_NODE_ARGS: extra Node flags for the workers, e.g. `--cpu-prof` to profile them.
  const nodeArgs = process.env.CHAOS_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return spawnChild(CHILD_SCRIPT, args, { nodeArgs, stderrBytes: 6000 });
}

export function alive(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or `fallback` after `ms`, whichever comes first; the timer never outlives the race. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<F>((resolve) => {
        timer = setTimeout(() => resolve(fallback), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `ready`, failing with the child's stderr when it exits first or takes too long. */
export async function readyOrFail(child: Child, timeoutMs = 60_000): Promise<void> {
  const outcome = await within(
    Promise.race([child.ready.then(() => 'ready' as const), child.exited.then(() => 'exited' as const)]),
    timeoutMs,
    'late' as const,
  );
  if (outcome !== 'ready') {
    child.process.kill('SIGKILL');
    throw new Error(`a chaos worker was not ready (${outcome}):\n${child.stderrTail()}`);
  }
}

export interface ClaimRecord {
  taskId: string;
  token: number;
  owner: string;
  via: 'claim' | 'insert';
  pid: number;
  time: number;
}

export interface StartRecord {
  key: string;
  runId: string;
  created: boolean;
  pid: number;
}

/** Every start of a key returned the same run, and at most one of them created it. */
export function idempotentStartProblems(records: readonly StartRecord[]): string[] {
  const byKey = new Map<string, StartRecord[]>();
  for (const record of records) byKey.set(record.key, [...(byKey.get(record.key) ?? []), record]);
  const problems: string[] = [];
  for (const [key, starts] of byKey) {
    if (new Set(starts.map((s) => s.runId)).size !== 1) problems.push(`${key} started as several runs`);
    if (starts.filter((s) => s.created).length > 1) problems.push(`${key} created more than once`);
  }
  return problems;
}
