/** Reads of /proc that identify processes without trusting PIDs alone, and signalling them. */
import { readFileSync, readdirSync } from 'node:fs';
import type { ProcessRef } from '../types.ts';

/** Field 22 (starttime) of /proc/<pid>/stat, or null when the process is gone. */
export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null; // fields 3.. → index 0 is field 3, so field 22 is index 19
  } catch {
    return null;
  }
}

/** State letter (R, S, Z, ...) of a process, or null when gone. */
export function stateOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

export function refOf(pid: number): ProcessRef | null {
  const startTime = startTimeOf(pid);
  return startTime === null ? null : { pid, startTime };
}

/** True only if the recorded process still exists and is the same process (not a reused PID, not a zombie). */
export function isAlive(ref: ProcessRef | undefined): boolean {
  if (!ref) return false;
  if (startTimeOf(ref.pid) !== ref.startTime) return false;
  return stateOf(ref.pid) !== 'Z';
}

/** Direct children of a process (Linux ≥ 3.5 with CONFIG_PROC_CHILDREN). */
export function childrenOf(pid: number): number[] {
  try {
    const tasks = readdirSync(`/proc/${pid}/task`);
    const out: number[] = [];
    for (const t of tasks) {
      const s = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (s) out.push(...s.split(' ').map(Number));
    }
    return out;
  } catch {
    return [];
  }
}

/** Signal a recorded process only if it is still the same process. Returns whether a signal was sent. */
export function signalRef(ref: ProcessRef, signal: NodeJS.Signals | number): boolean {
  if (!isAlive(ref)) return false;
  try {
    process.kill(ref.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * While installed, pass these signals received by this process on to another one (the CLI's
 * SIGTERM reaches the container's command). Returns the function that uninstalls them.
 */
export function forwardSignals(signals: readonly NodeJS.Signals[], send: (sig: NodeJS.Signals) => void): () => void {
  const handlers = signals.map((s) => [s, () => send(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return () => {
    for (const [s, h] of handlers) process.off(s, h);
  };
}
