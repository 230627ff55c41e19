/**
 * Worker processes of the PostgreSQL comparison: spawned with the pinned Node, `ready` once
 * they print a `ready` line, every other stdout line handed to the caller (timestamps of
 * step starts), and their CPU time read from /proc.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Child } from '../../test/crash/child-process.ts';

export { readyOrFail } from '../../test/chaos/chaos-processes.ts';
export { killHard } from '../../test/crash/child-process.ts';
export type { Child };

export function spawnWorker(script: string, args: readonly string[], onLine?: (line: string) => void): Child {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-6000);
  });
  const ready = new Promise<number>((resolve) => {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') resolve(Date.now() - startedAt);
        else onLine?.(line);
      }
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { process: child, ready, exited, stderrTail: () => stderr };
}

/** CPU seconds (user + system) used so far by each of processes `pids`; missing when gone or off Linux. */
export function cpuSecondsByPid(pids: readonly (number | undefined)[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    if (pid === undefined) continue;
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      seconds.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // gone, or no /proc
    }
  }
  return seconds;
}

/** CPU seconds used by `pids` between two readings; a process first seen in `after` counts from its start. */
export function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** CPU seconds (user + system) used so far by processes `pids` together. */
export function cpuSecondsOf(pids: readonly (number | undefined)[]): number {
  let total = 0;
  for (const seconds of cpuSecondsByPid(pids).values()) total += seconds;
  return total;
}
