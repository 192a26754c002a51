/** What a container's monitor writes beside its rootfs: the current init, and the restarts so far. */
import { readFileSync } from 'node:fs';
import type { ProcessRef } from '../types.ts';

function readWords(file: string): string[] | undefined {
  try {
    return readFileSync(file, 'utf8').trim().split(' ');
  } catch {
    return undefined;
  }
}

/**
 * The init the monitor started last, from its pid file ("PID STARTTIME"): the one a run killed
 * before it saved the record left, or the current one of a restarted container.
 * @example initFromPidFile('/srv/c/.containers/web/rootfs.pid'); // { pid: 4242, startTime: '91234' }
 */
export function initFromPidFile(file: string): ProcessRef | undefined {
  const [pid, startTime] = readWords(file) ?? [];
  return pid && startTime ? { pid: Number(pid), startTime } : undefined;
}

/**
 * How often the monitor has restarted the container ("COUNT LAST_EXIT_CODE"), 0 if never.
 * @example restartsFromFile('/srv/c/.containers/web/rootfs.restarts'); // { count: 2, lastExitCode: 3 }
 */
export function restartsFromFile(file: string): { count: number; lastExitCode: number | null } {
  const [count, code] = readWords(file) ?? [];
  return { count: Number(count ?? 0) || 0, lastExitCode: code === undefined ? null : Number(code) };
}
