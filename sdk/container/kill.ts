/**
 * Ending a container's processes: its init (the stop signal, then SIGKILL after the grace period),
 * its monitor, and what a launch killed half-way left behind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { DEFAULT_STOP_SIGNAL, parseStopSignal } from '../image/stop-signal.ts';
import { isAlive, readStat, signalRef } from '../host/proc.ts';
import { killCgroup } from '../limits/cgroup-teardown.ts';
import { ConductorError } from '../errors.ts';
import { pollUntil } from '../host/poll.ts';
import { initFromPidFile } from '../state/monitor-files.ts';
import type { ContainerRecord, ProcessRef } from '../types.ts';

/** Wait until the process is gone, polling /proc (Node has no pidfd); false on timeout. */
function waitGone(ref: ProcessRef, ms: number): Promise<boolean> {
  return pollUntil(() => !isAlive(ref), { timeoutMs: ms, maxDelayMs: 25 });
}

/** Node's name for a signal number (SIGRTMIN+n has none). */
function signalName(n: number): NodeJS.Signals | null {
  return (Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined) ?? null;
}

/**
 * End a container's processes: the stop signal to its init, SIGKILL after the grace period, then
 * its monitor. With a restart policy the monitor is told first (SIGUSR1) to start no more, and the
 * current init is re-read from its `pidFile` until the monitor is gone: it may have started one
 * more between the signal and reading it.
 */
export async function terminate(
  rec: ContainerRecord | null,
  init: ProcessRef | undefined,
  monitor: ProcessRef | undefined,
  timeoutSeconds: number,
  stopSignal?: string,
  pidFile?: string,
) {
  let killed = false;
  let signal: NodeJS.Signals | null = null;
  // The image's STOPSIGNAL (or stop's --signal), validated when the container or stop was made.
  const first = stopSignal === undefined ? DEFAULT_STOP_SIGNAL : parseStopSignal(stopSignal);
  if (rec?.restart && pidFile && monitor && signalRef(monitor, 'SIGUSR1')) {
    const sent = new Set<string>();
    // Each init the monitor names gets `sig` once; done when the monitor has exited.
    const endWith = (sig: NodeJS.Signals | number) => () => {
      const now = initFromPidFile(pidFile);
      const key = `${now?.pid}:${now?.startTime}:${sig}`;
      if (now && isAlive(now) && !sent.has(key) && signalRef(now, sig)) sent.add(key);
      return !isAlive(monitor);
    };
    const opts = { timeoutMs: timeoutSeconds * 1000, maxDelayMs: 25 };
    if (timeoutSeconds > 0 && (await pollUntil(endWith(first), opts))) signal = signalName(first);
    else {
      await pollUntil(endWith('SIGKILL'), { timeoutMs: 5000, maxDelayMs: 25 });
      killed = sent.size > 0;
      signal = killed ? 'SIGKILL' : signal;
    }
  } else if (init && isAlive(init)) {
    // PID 1 of a namespace ignores it unless it handles it, as in Docker: then SIGKILL.
    if (timeoutSeconds > 0 && signalRef(init, first)) signal = signalName(first);
    if (!(await waitGone(init, timeoutSeconds * 1000))) {
      signalRef(init, 'SIGKILL');
      killed = true;
      signal = 'SIGKILL';
      await waitGone(init, 5000);
    }
  }
  // The monitor leads a process group that, after a half-made run, may hold a helper
  // that never got as far as an init: end the whole group.
  if (monitor && isAlive(monitor)) {
    if (!(await waitGone(monitor, init ? 2000 : 0))) {
      try {
        process.kill(-monitor.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await waitGone(monitor, 2000);
    }
  }
  if (rec && rec.cgroups.length > 0) await killCgroup(rec.cgroups);
  return { killed, signal };
}

/**
 * Processes of a launch whose caller was killed before it could record them: every process that
 * carries this launch's tag in the environment it was exec'd with (the monitor and
 * the init helper until it execs the command; a detached monitor leads its own process group).
 * Only processes conductor started for this container have the tag: nothing is matched by its
 * command line, so an admin's `du <rootfs>` is never touched.
 */
function launchProcesses(tag: string): { groups: number[]; pids: number[] } {
  const groups: number[] = [];
  const pids: number[] = [];
  const mark = `CONDUCTOR_LAUNCH=${tag}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let pgrp: number;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(mark)) continue;
      const stat = readStat(pid);
      if (stat === null) continue; // gone
      pgrp = stat.pgrp;
    } catch {
      continue; // gone
    }
    (pgrp === pid ? groups : pids).push(pid);
  }
  return { groups, pids };
}

/** After `graceMs` for them to end by themselves (an attached caller's monitor reaping the init), SIGKILL. */
export async function killStrayLaunch(name: string, tag: string, graceMs: number): Promise<void> {
  const none = (): boolean => {
    const { groups, pids } = launchProcesses(tag);
    return groups.length + pids.length === 0;
  };
  if (await pollUntil(none, { timeoutMs: graceMs, maxDelayMs: 10 })) return;
  let left: number[] = [];
  const killAll = (): boolean => {
    const { groups, pids } = launchProcesses(tag);
    left = [...groups, ...pids];
    if (left.length === 0) return true;
    for (const g of groups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    return false;
  };
  if (!(await pollUntil(killAll, { timeoutMs: 3000, maxDelayMs: 10 }))) {
    throw new ConductorError('CLEANUP_FAILED', `processes of container "${name}" survive SIGKILL: ${left.join(' ')}`);
  }
}
