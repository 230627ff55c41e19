/**
 * A Node child process the crash and chaos tests start, watch and kill: it prints `ready`
 * when it is ready to be killed, and its stderr is kept for failure messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BatonError } from '../../src/errors.ts';

export interface Child {
  process: ChildProcess;
  /** Resolves with ms since spawn when the child printed `ready`; never rejects. */
  ready: Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last few kB the child wrote to stderr, for failure messages. */
  stderrTail(): string;
}

/**
 * Runs `script` with `args` on the Node the tests run under (process.execPath, the pinned
 * one). Every stdout line but `ready` goes to `onLine`.
 */
export function spawnChild(
  script: string,
  args: readonly string[],
  options: { nodeArgs?: readonly string[]; stderrBytes?: number; onLine?: (line: string) => void } = {},
): Child {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = options.stderrBytes ?? 4000;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-keep);
  });
  const ready = new Promise<number>((resolve) => {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') resolve(Date.now() - startedAt);
        else options.onLine?.(line);
      }
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { process: child, ready, exited, stderrTail: () => stderr };
}

/** SIGKILLs the child (no handler runs, nothing is flushed) and waits until it is gone. */
export async function killHard(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  const { code, signal } = await child.exited;
  if (signal !== 'SIGKILL') {
    throw new BatonError(
      'CHILD_EXITED_EARLY',
      `worker child exited by itself (code ${code}, signal ${signal}) before it was killed:\n${child.stderrTail()}`,
    );
  }
}

/** Waits for a child run with --until-done to exit 0, killing it after `timeoutMs`. */
export async function awaitCompletion(child: Child, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([child.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    child.process.kill('SIGKILL');
    await child.exited;
    throw new BatonError(
      'CHILD_TIMEOUT',
      `the final worker did not finish every run within ${timeoutMs}ms:\n${child.stderrTail()}`,
    );
  }
  if (result.code !== 0) {
    throw new BatonError(
      'CHILD_FAILED',
      `the final worker exited with code ${result.code} (signal ${result.signal}):\n${child.stderrTail()}`,
    );
  }
}

/** Small seeded PRNG (mulberry32): the same seed gives the same kill schedule. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
