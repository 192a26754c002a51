/**
 * stop: SIGTERM the init, wait, SIGKILL; undo every host change the record lists; remove the
 * container's cgroups and files. Works from whatever exists, so it also cleans up a container
 * whose `run` was killed half-way, and running it twice is harmless.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Paths } from '../config.ts';
import { cgroupDirsFor } from '../limits/plan.ts';
import { cgroupId, detectLayout } from '../limits/cgroupfs.ts';
import { killCgroup, removeCgroups } from '../limits/cgroup-teardown.ts';
import { oomKilled } from '../limits/cgroup-read.ts';
import { ConductorError } from '../errors.ts';
import { withLock } from '../state/lock.ts';
import { removeTree } from '../state/remove-tree.ts';
import { undoAll, type UndoBatcher } from '../network/undo-all.ts';
import { unlimited, type Limit } from '../host/limit.ts';
import { isAlive, refOf } from '../host/proc.ts';
import { killStrayLaunch, terminate } from './kill.ts';
import { initFromPidFile } from '../state/monitor-files.ts';
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
  /** stopMany: the bound on claims running at once (the grace periods are waited out unbounded). */
  limit?: Limit;
  /** stopMany: replays the record's host changes in a batch with the other containers'. */
  undo?: UndoBatcher;
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
  const limit = opts.limit ?? unlimited;
  const locked: typeof withLock = (dir, lock, fn) => limit(() => withLock(dir, lock, fn));
  for (;;) {
    if (!opts.asCreator && !opts.leaveCreating) await waitCreated(paths, name);
    // Claim the record under the container's lock, as every writer holds it: once it is marked
    // `stopping`, no one else may add to what this stop has to undo (updateRecord refuses), so
    // the rest needs no lock. One acquisition: a contended lock costs a util-linux flock child.
    const claim = await locked(paths.locks, containerLock(name), async () => {
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
      const undo = opts.undo ?? ((r: ContainerRecord) => undoAll(paths, r));
      const result = await teardown(paths, name, claim.rec ?? null, opts.timeoutSeconds, opts.signal, undo);
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
  signalOverride: string | undefined,
  undo: UndoBatcher,
): Promise<StopResult> {
  const cp = containerPaths(paths, name);
  const init = rec?.init ?? initFromPidFile(cp.pidFile);
  const { killed, signal } = await terminate(
    rec,
    init,
    rec?.monitor,
    timeoutSeconds,
    signalOverride ?? rec?.stopSignal,
    cp.pidFile,
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
    await undo(rec);
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
    removeTree(cp.dir);
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
