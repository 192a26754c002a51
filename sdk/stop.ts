/**
 * stop: SIGTERM the init, wait, SIGKILL; undo every host change the record lists; remove the
 * container's cgroups and files. Works from whatever exists, so it also cleans up a container
 * whose `run` was killed half-way, and running it twice is harmless.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Paths } from './config.ts';
import type { ContainerPaths } from './state.ts';
import { cgroupDirsFor } from './cgroup-plan.ts';
import { cgroupId, detectLayout, killCgroup, oomKilled, removeCgroups } from './cgroups.ts';
import { ConductorError } from './errors.ts';
import { withLock } from './fsutil.ts';
import { undoAll } from './network.ts';
import { isAlive, signalRef } from './proc.ts';
import { containerPaths, loadRecord, recordedExitCode } from './state.ts';
import type { ContainerRecord, ProcessRef } from './types.ts';

export interface StopResult {
  name: string;
  /** The command's exit code (137 when it had to be killed), null if it never ran. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** SIGKILL was needed after the timeout. */
  killed: boolean;
  oomKilled: boolean;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the process is gone, polling /proc (Node has no pidfd); false on timeout. */
async function waitGone(ref: ProcessRef, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  let delay = 1;
  while (isAlive(ref)) {
    if (Date.now() >= deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 25);
  }
  return true;
}

/** The init recorded by the mount script itself, for a run killed before it saved the record. */
function initFromPidFile(file: string): ProcessRef | undefined {
  try {
    const [pid, startTime] = readFileSync(file, 'utf8').trim().split(' ');
    return pid && startTime ? { pid: Number(pid), startTime } : undefined;
  } catch {
    return undefined;
  }
}

async function terminate(rec: ContainerRecord | null, init: ProcessRef | undefined, monitor: ProcessRef | undefined, timeoutSeconds: number) {
  let killed = false;
  let signal: NodeJS.Signals | null = null;
  if (init && isAlive(init)) {
    // PID 1 of a namespace ignores SIGTERM unless it handles it, as in Docker: then SIGKILL.
    if (timeoutSeconds > 0 && signalRef(init, 'SIGTERM')) signal = 'SIGTERM';
    if (!(await waitGone(init, timeoutSeconds * 1000))) {
      signalRef(init, 'SIGKILL');
      killed = true;
      signal = 'SIGKILL';
      await waitGone(init, 5000);
    }
  }
  // The monitor leads a process group that, after a half-made run, may hold an unshare or a helper
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
 * Processes of a launch whose caller was killed before it could record them: the
 * unshare/monitor/init helper chain (each has the rootfs path in its arguments; a detached monitor
 * leads its own process group). Left alive, they race the removal: the monitor writes `exitcode`
 * into the directory being deleted.
 */
function strayLaunch(cp: ContainerPaths): { groups: number[]; pids: number[] } {
  const groups: number[] = [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let argv: string[];
    let pgrp: number;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    } catch {
      continue; // gone
    }
    if (argv.includes(cp.rootfs) || argv.includes(`${cp.rootfs}.pid`)) (pgrp === pid ? groups : pids).push(pid);
  }
  return { groups, pids };
}

/** After `graceMs` for them to end by themselves (an attached caller's unshare reaping the init), SIGKILL. */
async function killStrayLaunch(cp: ContainerPaths, graceMs: number): Promise<void> {
  const start = Date.now();
  const deadline = start + graceMs + 3000;
  for (;;) {
    const { groups, pids } = strayLaunch(cp);
    if (groups.length + pids.length === 0) return;
    if (Date.now() - start < graceMs) {
      await sleep(10);
      continue;
    }
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
    if (Date.now() >= deadline) {
      throw new ConductorError('COMMAND_FAILED', `processes of container "${cp.dir}" survive SIGKILL: ${[...groups, ...pids].join(' ')}`);
    }
    await sleep(10);
  }
}

/**
 * Cgroup directories this container's name maps to that exist but the record does not list: a
 * `run` killed between creating them and saving them leaves them behind otherwise.
 */
function unrecordedCgroups(paths: Paths, name: string, recorded: string[]): string[] {
  let dirs: string[];
  try {
    dirs = cgroupDirsFor(detectLayout(), cgroupId(paths.root, name));
  } catch {
    return []; // no cgroup hierarchy on this host
  }
  return dirs.filter((d) => !recorded.includes(d) && existsSync(d));
}

/** Mounts under a path in this (the host's) mount namespace; there should never be any. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => Boolean(m) && (m === dir || m!.startsWith(dir + '/')));
}

export async function removeContainer(paths: Paths, name: string, opts: { timeoutSeconds: number }): Promise<StopResult> {
  const cp = containerPaths(paths, name);
  return withLock(paths.locks, `stop-${name}`, async () => {
    const rec = loadRecord(paths, name);
    const init = rec?.init ?? initFromPidFile(`${cp.rootfs}.pid`);
    const { killed, signal } = await terminate(rec, init, rec?.monitor, opts.timeoutSeconds);
    // A record that names both its monitor (or its attached exit) and its init was saved after the
    // launch completed, and terminate() has ended both: only a half-made launch needs the /proc scan.
    const complete = rec?.init !== undefined && (rec.monitor !== undefined || rec.exitCode !== undefined);
    if (!complete) await killStrayLaunch(cp, init ? 1000 : 0);
    const oom = rec ? oomKilled(rec.cgroups) : false;
    let exitCode = rec ? recordedExitCode(paths, rec) : null;
    if (killed && exitCode === null) exitCode = 137;
    if (rec) {
      await undoAll(paths, rec);
      await removeCgroups(rec.cgroups);
    }
    // Cgroups are recorded before the launch starts, so only a half-made run can have others.
    const stray = complete ? [] : unrecordedCgroups(paths, name, rec?.cgroups ?? []);
    if (stray.length > 0) {
      await killCgroup(stray);
      await removeCgroups(stray);
    }
    const left = mountsUnder(cp.dir);
    if (left.length > 0) {
      // Never delete through a mount: refuse and say what is still mounted.
      throw new ConductorError('COMMAND_FAILED', `container "${name}" still has mounts on the host: ${left.join(', ')}`, { hint: 'umount them, then stop again' });
    }
    try {
      rmSync(cp.dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
    } catch (e) {
      throw new ConductorError('COMMAND_FAILED', `cannot remove container "${name}": ${(e as Error).message}`, { cause: e });
    }
    return { name, exitCode, signal, killed, oomKilled: oom };
  });
}

/** Does anything of this container exist (record or half-made directory)? */
export function containerExists(paths: Paths, name: string): boolean {
  return existsSync(containerPaths(paths, name).dir);
}
