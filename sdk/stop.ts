/**
 * stop: SIGTERM the init, wait, SIGKILL; undo every host change the record lists; remove the
 * container's cgroups and files. Works from whatever exists, so it also cleans up a container
 * whose `run` was killed half-way, and running it twice is harmless.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Paths } from './config.ts';
import { killCgroup, oomKilled, removeCgroups } from './cgroups.ts';
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

/**
 * util-linux 2.38's `unshare --fork` exits 1 ("sigprocmask unblock failed") when its child dies of
 * SIGKILL, because it tries to reset SIGKILL's handler. Where we know SIGKILL was the cause (our
 * own kill, or the OOM killer) we report 137 as Docker does.
 */
export const SIGKILLED_BY_UNSHARE = 1;

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
  // The monitor leads a process group holding the log pipe and, after a half-made run, maybe an
  // unshare that never got as far as an init: end the whole group.
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
    const oom = rec ? oomKilled(rec.cgroups) : false;
    let exitCode = rec ? recordedExitCode(paths, rec) : null;
    if (killed || (oom && exitCode === SIGKILLED_BY_UNSHARE)) exitCode = 137;
    if (rec) {
      await undoAll(paths, rec);
      await removeCgroups(rec.cgroups);
    }
    const left = mountsUnder(cp.dir);
    if (left.length > 0) {
      // Never delete through a mount: refuse and say what is still mounted.
      throw new ConductorError('COMMAND_FAILED', `container "${name}" still has mounts on the host: ${left.join(', ')}`, { hint: 'umount them, then stop again' });
    }
    rmSync(cp.dir, { recursive: true, force: true });
    return { name, exitCode, signal, killed, oomKilled: oom };
  });
}

/** Does anything of this container exist (record or half-made directory)? */
export function containerExists(paths: Paths, name: string): boolean {
  return existsSync(containerPaths(paths, name).dir);
}
