/** Process trees and memory from /proc. */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  comm: string;
}

export function stat(pid: number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const f = s.slice(close + 2).split(' ');
    return { pid, comm: s.slice(s.indexOf('(') + 1, close), ppid: Number(f[1]), pgid: Number(f[2]) };
  } catch {
    return null;
  }
}

export function allProcs(): ProcStat[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => stat(Number(n)))
    .filter((p): p is ProcStat => p !== null);
}

/** `root` and its descendants, not descending into (nor including) the pids in `exclude`. */
export function tree(root: number, exclude: ReadonlySet<number> = new Set(), procs = allProcs()): ProcStat[] {
  const kids = new Map<number, ProcStat[]>();
  for (const p of procs) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
  const self = procs.find((p) => p.pid === root);
  if (!self || exclude.has(root)) return [];
  const out: ProcStat[] = [];
  const walk = (p: ProcStat) => {
    out.push(p);
    for (const k of kids.get(p.pid) ?? []) if (!exclude.has(k.pid)) walk(k);
  };
  walk(self);
  return out;
}

export interface Mem {
  /** Resident set size, KiB (VmRSS). */
  rss: number;
  /** Proportional set size, KiB (smaps_rollup): shared pages divided among their users. */
  pss: number;
}

export function memOf(pid: number): Mem {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb(status, 'VmRSS'), pss: kb(rollup, 'Pss') };
}

export function sumMem(pids: number[]): Mem {
  return pids.map(memOf).reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss }), { rss: 0, pss: 0 });
}

/**
 * The per-container processes: the monitor (the container init's parent) and its other descendants,
 * minus the container's init and what runs under it. The init has its own session (conductor-init
 * calls setsid), so its process group says nothing about the monitor.
 */
export function monitorMem(initPid: number): { mem: Mem; comms: string[] } {
  const procs = allProcs();
  const init = stat(initPid);
  if (!init) throw new Error(`container init ${initPid} is gone`);
  if (init.ppid <= 1) throw new Error(`container init ${initPid} has no monitor (its parent is ${init.ppid})`);
  const own = tree(init.ppid, new Set([initPid]), procs);
  return { mem: sumMem(own.map((p) => p.pid)), comms: own.map((p) => p.comm) };
}
