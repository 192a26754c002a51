/** Reads of /proc that identify processes without trusting PIDs alone, and signalling them. */
import { readFileSync, readdirSync } from 'node:fs';
import type { ProcessRef } from '../types.ts';

/** The fields of /proc/<pid>/stat conductor uses (proc(5)). */
export interface ProcStat {
  pid: number;
  /** The command name, as the kernel keeps it (at most 15 bytes; any byte but NUL, ")" too). */
  comm: string;
  /** R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Field 22, in clock ticks since boot: with the PID it names one process for the life of the boot. */
  startTime: string;
}

/**
 * Parses the text of /proc/<pid>/stat. comm (field 2) may hold spaces and parentheses, so the
 * fields after it are found after the last ")". Null when the text is not a stat line.
 *
 * @example
 * parseStat('42 (a) (b) S 1 42 42 0 -1 4194560 ...');
 * // { pid: 42, comm: 'a) (b', state: 'S', ppid: 1, pgrp: 42, startTime: ... }
 */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(' ');
  const pid = Number(text.slice(0, open));
  // rest[0] is field 3, so field n is rest[n - 3].
  const [state, ppid, pgrp, startTime] = [rest[0], rest[1], rest[2], rest[19]];
  if (!Number.isInteger(pid) || !state || startTime === undefined || !/^\d+$/.test(startTime)) return null;
  return { pid, comm: text.slice(open + 2, close), state, ppid: Number(ppid), pgrp: Number(pgrp), startTime };
}

/** /proc/<pid>/stat of a process, or null when it is gone. */
export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Field 22 (starttime) of /proc/<pid>/stat, or null when the process is gone. */
export function startTimeOf(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

// USER_HZ: what /proc reports times in; 100 on every Linux architecture conductor runs on.
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * When a process started, in ms since the epoch (its start time in clock ticks after boot, and
 * the boot time from /proc/uptime, precise to 10 ms); null when it is gone or is another process.
 * @example startedAtMs({ pid: process.pid, startTime: startTimeOf(process.pid)! }); // ≈ Date.now() - uptime
 */
export function startedAtMs(ref: ProcessRef): number | null {
  return startTimeOf(ref.pid) === ref.startTime ? startTimeMs(ref.startTime) : null;
}

/**
 * When a process with this start time (field 22 of its stat) started, in ms since the epoch, with
 * no look at /proc: for a ProcessRef the caller has just found alive.
 * @example startTimeMs(startTimeOf(process.pid)!); // ≈ Date.now() - process.uptime() * 1000
 */
export function startTimeMs(startTime: string): number {
  return Math.round(bootTimeMs() + (Number(startTime) * 1000) / CLOCK_TICKS_PER_SECOND);
}

let bootMs: number | undefined;

/** When the host booted (ms since the epoch): read once, from /proc/uptime; `ps` asks per container. */
function bootTimeMs(): number {
  bootMs ??= Date.now() - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  return bootMs;
}

/** State letter (R, S, Z, ...) of a process, or null when gone. */
export function stateOf(pid: number): string | null {
  return readStat(pid)?.state ?? null;
}

export function refOf(pid: number): ProcessRef | null {
  const startTime = startTimeOf(pid);
  return startTime === null ? null : { pid, startTime };
}

/** True only if the recorded process still exists and is the same process (not a reused PID, not a zombie). */
export function isAlive(ref: ProcessRef | undefined): boolean {
  if (!ref) return false;
  const stat = readStat(ref.pid);
  return stat !== null && stat.startTime === ref.startTime && stat.state !== 'Z';
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

/** Every process below `pid` (zombies too), parents before children: one read of /proc each. */
function descendantsOf(pid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    for (const child of childrenOf(queue.shift()!)) {
      const stat = readStat(child);
      if (stat === null) continue;
      out.push(stat);
      queue.push(child);
    }
  }
  return out;
}

/**
 * What killDescendants signals for a snapshot of a tree, in order, pure: each process group led
 * inside it (-pgrp: the kernel makes fork and a group's signal atomic, so a member forked after the
 * snapshot is reached too), then every process of the snapshot itself. A member's own signal is not
 * left to its group's: between the snapshot and the group's signal it may leave the group
 * (`setsid cmd &`: the child calls setsid() a moment after the fork), and once its parent is dead
 * it is no longer below the tree for a second snapshot to find. Zombies are skipped.
 *
 * @example
 * killTargets([{ pid: 10, pgrp: 10, state: 'S', ... }, { pid: 11, pgrp: 10, state: 'S', ... }]); // [-10, 10, 11]
 */
export function killTargets(tree: readonly ProcStat[]): number[] {
  const live = tree.filter((s) => s.state !== 'Z');
  return [...live.filter((s) => s.pgrp === s.pid).map((s) => -s.pgrp), ...live.map((s) => s.pid)];
}

/**
 * SIGKILL every process below `pid`, not `pid` itself (left to reap its child and report how it
 * ended), from one snapshot, before any of them dies and its children move to a reaper outside
 * the tree (killTargets says what is signalled). Returns the snapshot (empty: nothing below
 * `pid`), for waiting on their end.
 *
 * @example
 * if (killDescendants(nsenter.pid).length === 0) process.kill(-nsenter.pid, 'SIGKILL'); // not forked yet
 */
export function killDescendants(pid: number): ProcessRef[] {
  const tree = descendantsOf(pid);
  for (const target of killTargets(tree)) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return tree.map((s) => ({ pid: s.pid, startTime: s.startTime }));
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
