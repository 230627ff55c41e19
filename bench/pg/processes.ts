/**
 * Worker processes of the PostgreSQL comparison: spawned with the pinned Node, `ready` once
 * they print a `ready` line, every other stdout line handed to the caller (timestamps of
 * step starts), and their CPU time read from /proc.
 */
import { readFileSync } from 'node:fs';
import { type Child, spawnChild } from '../../test/helpers/child.ts';

export { readyOrFail } from '../../test/chaos/chaos-processes.ts';
export { killHard } from '../../test/helpers/child.ts';
export type { Child };

export function spawnWorker(script: string, args: readonly string[], onLine?: (line: string) => void): Child {
  return spawnChild(script, args, { stderrBytes: 6000, onLine });
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
