/**
 * stop: SIGTERM the init, wait, SIGKILL; undo every host change the record lists; remove the
 * container's cgroups and files. Works from whatever exists, so it also cleans up a container
 * whose `run` was killed half-way, and running it twice is harmless.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Paths } from '../config.ts';
import { DEFAULT_STOP_SIGNAL, parseStopSignal } from '../image/stop-signal.ts';
import { cgroupDirsFor } from '../limits/plan.ts';
import { cgroupId, detectLayout } from '../limits/cgroupfs.ts';
import { killCgroup, removeCgroups } from '../limits/cgroup-teardown.ts';
import { oomKilled } from '../limits/cgroup-read.ts';
import { ConductorError } from '../errors.ts';
import { withLock } from '../state/lock.ts';
import { undoAll } from '../network/undo-all.ts';
import { isAlive, readStat, refOf, signalRef } from '../host/proc.ts';
import { pollUntil } from '../host/poll.ts';
import {
  beingCreated,
  containerLock,
  containerPaths,
  loadRecord,
  recordedExitCode,
  saveRecord,
  statusOf,
} from '../state/containers.ts';
import type { ContainerRecord, ProcessRef } from '../types.ts';

export interface StopResult {
  name: string;
  /** The command's exit code (137 when it had to be killed), null if it never ran. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** SIGKILL was needed after the timeout. */
  killed: boolean;
  oomKilled: boolean;
  /** Left alone (prune, `stop --all`): still being created, or not exited. */
  skipped?: 'creating' | 'running';
  /** With dryRun: each host change stop would make, as shell lines; nothing was changed. */
  plan?: string[];
}

/** Wait until the process is gone, polling /proc (Node has no pidfd); false on timeout. */
function waitGone(ref: ProcessRef, ms: number): Promise<boolean> {
  return pollUntil(() => !isAlive(ref), { timeoutMs: ms, maxDelayMs: 25 });
}

/** The init as the helper's PID file names it, for a run killed before it saved the record. */
export function initFromPidFile(file: string): ProcessRef | undefined {
  try {
    const [pid, startTime] = readFileSync(file, 'utf8').trim().split(' ');
    return pid && startTime ? { pid: Number(pid), startTime } : undefined;
  } catch {
    return undefined;
  }
}

/** Node's name for a signal number (SIGRTMIN+n has none). */
function signalName(n: number): NodeJS.Signals | null {
  return (Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined) ?? null;
}

async function terminate(
  rec: ContainerRecord | null,
  init: ProcessRef | undefined,
  monitor: ProcessRef | undefined,
  timeoutSeconds: number,
  stopSignal?: string,
) {
  let killed = false;
  let signal: NodeJS.Signals | null = null;
  if (init && isAlive(init)) {
    // The image's STOPSIGNAL (or stop's --signal), validated when the container or stop was made.
    const first = stopSignal === undefined ? DEFAULT_STOP_SIGNAL : parseStopSignal(stopSignal);
    // PID 1 of a namespace ignores it unless it handles it, as in Docker: then SIGKILL.
    if (timeoutSeconds > 0 && signalRef(init, first)) signal = signalName(first);
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
 * Processes of a launch whose caller was killed before it could record them: every process that
 * carries this launch's tag in the environment it was exec'd with (setpriv/unshare/monitor and
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

/** After `graceMs` for them to end by themselves (an attached caller's unshare reaping the init), SIGKILL. */
async function killStrayLaunch(name: string, tag: string, graceMs: number): Promise<void> {
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

/**
 * Cgroup directories this container's name maps to that exist but the record does not list: a
 * `run` killed between creating them and saving them leaves them behind otherwise.
 */
export function unrecordedCgroups(paths: Paths, name: string, recorded: string[]): string[] {
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

export interface RemoveOptions {
  timeoutSeconds: number;
  /** The creating `run` cleaning up after itself: never wait for its own creation to end. */
  asCreator?: boolean;
  /** prune, `stop --all`: skip a container whose creator is still making it, instead of waiting. */
  leaveCreating?: boolean;
  /** prune: remove only if it has exited (decided under the container's lock). */
  onlyIfExited?: boolean;
  /** Sent first instead of the container's stop signal (`stop --signal`). */
  signal?: string;
}

/** Wait (bounded) until no live `run` is still making this container. */
async function waitCreated(paths: Paths, name: string, timeoutMs = 120_000): Promise<void> {
  if (!(await pollUntil(() => !beingCreated(loadRecord(paths, name)), { timeoutMs, maxDelayMs: 50 }))) {
    const by = loadRecord(paths, name)?.creating?.by.pid;
    throw new ConductorError('TIMEOUT', `container "${name}" is still being created (by PID ${by})`, {
      hint: 'try again once its run returns',
    });
  }
}

/**
 * Stop and remove one container, under its locks. While a live `run` is still creating it, an
 * explicit stop waits for the run to finish (or die), and prune / `stop --all` leave it alone:
 * its processes are not recorded yet, so "not running" would be a lie.
 */
export async function removeContainer(paths: Paths, name: string, opts: RemoveOptions): Promise<StopResult> {
  const mine = `${paths.root}\0${name}`;
  const skipped = (why: 'creating' | 'running'): StopResult => ({
    name,
    exitCode: null,
    signal: null,
    killed: false,
    oomKilled: false,
    skipped: why,
  });
  // A run still creating its container holds the container's lock while it wires it up (its network
  // may wait for the network lock): leave it alone without queuing behind that lock. Checked again
  // under the lock below, for a run that starts creating meanwhile.
  if (opts.leaveCreating && !opts.asCreator && beingCreated(loadRecord(paths, name))) return skipped('creating');
  for (;;) {
    if (!opts.asCreator && !opts.leaveCreating) await waitCreated(paths, name);
    // Claim the record under the container's lock, as every writer holds it: once it is marked
    // `stopping`, no one else may add to what this stop has to undo (updateRecord refuses), so
    // the rest needs no lock. One acquisition: locks cost a process spawn each.
    const claim = await withLock(paths.locks, containerLock(name), async () => {
      const rec = loadRecord(paths, name);
      if (rec && !opts.asCreator && beingCreated(rec))
        return opts.leaveCreating ? ('creating' as const) : ('again' as const);
      if (opts.onlyIfExited && rec && statusOf(paths, rec) !== 'exited') return 'running' as const;
      // Another stop at work (here or in another process): let it finish. A mark left by a stop
      // that died or failed is taken over.
      const other = rec?.stopping;
      if (other && isAlive(other) && (other.pid !== process.pid || stopsInProgress.has(mine))) {
        const busy: ProcessRef = other;
        return { busy };
      }
      if (rec) saveRecord(paths, { ...rec, stopping: refOf(process.pid)! });
      return { rec };
    });
    if (claim === 'again') continue; // a new container took the name after we waited: wait for it
    if (claim === 'creating' || claim === 'running') return skipped(claim);
    if (claim.busy) {
      await waitStopped(paths, name, claim.busy);
      continue;
    }
    stopsInProgress.add(mine);
    try {
      const result = await teardown(paths, name, claim.rec ?? null, opts.timeoutSeconds, opts.signal);
      removeContainerDir(paths, name);
      return result;
    } finally {
      stopsInProgress.delete(mine);
    }
  }
}

/** Containers this process is stopping right now (root NUL name): their `stopping` mark is live. */
const stopsInProgress = new Set<string>();

/** Until the other stop has removed the container or died (bounded by its own work). */
async function waitStopped(paths: Paths, name: string, stopper: ProcessRef): Promise<void> {
  const dir = containerPaths(paths, name).dir;
  const working = (): boolean =>
    existsSync(dir) && isAlive(stopper) && loadRecord(paths, name)?.stopping?.startTime === stopper.startTime;
  await pollUntil(() => !working(), { timeoutMs: Infinity, maxDelayMs: 50 });
}

async function teardown(
  paths: Paths,
  name: string,
  rec: ContainerRecord | null,
  timeoutSeconds: number,
  signalOverride?: string,
): Promise<StopResult> {
  const cp = containerPaths(paths, name);
  const init = rec?.init ?? initFromPidFile(`${cp.rootfs}.pid`);
  const { killed, signal } = await terminate(
    rec,
    init,
    rec?.monitor,
    timeoutSeconds,
    signalOverride ?? rec?.stopSignal,
  );
  // A record without a creation mark that names both its monitor (or its attached exit) and its
  // init was saved after the launch completed, and terminate() has ended all of it.
  const complete =
    rec !== null &&
    !rec.creating &&
    rec.init !== undefined &&
    (rec.monitor !== undefined || rec.exitCode !== undefined);
  if (!complete && rec?.creating) await killStrayLaunch(name, rec.creating.launchTag, init ? 1000 : 0);
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
  return { name, exitCode, signal, killed, oomKilled: oom };
}

function removeContainerDir(paths: Paths, name: string): void {
  const cp = containerPaths(paths, name);
  const left = mountsUnder(cp.dir);
  if (left.length > 0) {
    // Never delete through a mount: refuse and say what is still mounted.
    throw new ConductorError('CLEANUP_FAILED', `container "${name}" still has mounts on the host: ${left.join(', ')}`, {
      hint: 'umount them, then stop again',
    });
  }
  try {
    rmSync(cp.dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
  } catch (e) {
    throw new ConductorError('CLEANUP_FAILED', `cannot remove container "${name}": ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Does anything of this container exist (record or half-made directory)? */
export function containerExists(paths: Paths, name: string): boolean {
  return existsSync(containerPaths(paths, name).dir);
}
