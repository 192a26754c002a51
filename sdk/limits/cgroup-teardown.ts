/**
 * Emptying and removing a container's cgroups: finding every process in them, killing them until
 * none is left, and removing the directories — only ever `<hierarchy>/conductor/<id>`.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { ConductorError } from '../errors.ts';
import { PARENT } from './plan.ts';
import { errno, fsError, readOrNull } from './cgroup-io.ts';
import { pollUntil } from '../host/poll.ts';

/** The cgroup and its descendants (a container may make its own sub-cgroups), children first. */
function subtree(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (errno(e) === 'ENOENT') return [];
    throw e;
  }
  return [...entries.filter((d) => d.isDirectory()).flatMap((d) => subtree(path.join(dir, d.name))), dir];
}

/**
 * The PIDs (as this process sees them) of every process in the cgroups and their descendants.
 *
 * @example
 * cgroupPids(record.cgroups); // [4121, 4133]
 */
export function cgroupPids(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs) {
    for (const d of subtree(dir)) {
      for (const line of (readOrNull(`${d}/cgroup.procs`) ?? '').split('\n')) {
        const pid = Number(line);
        // 0: a process in a PID namespace this one cannot see.
        if (line !== '' && Number.isInteger(pid) && pid > 0) pids.add(pid);
      }
    }
  }
  return [...pids].sort((a, b) => a - b);
}

/** Only ever signal or remove cgroups conductor made: `<hierarchy>/conductor/<id>`. */
function checkOwned(dirs: string[]): void {
  for (const dir of dirs) {
    if (!path.isAbsolute(dir) || path.resolve(dir) !== dir || path.basename(path.dirname(dir)) !== PARENT) {
      throw new ConductorError('INTERNAL', `"${dir}" is not a conductor cgroup`);
    }
  }
}

/**
 * SIGKILLs every process in the cgroups (through v2's cgroup.kill where the kernel has it),
 * again and again until they are empty — a fork racing the kill is caught on the next round.
 * Resolves true once empty, false if processes are still there after `timeoutMs`.
 *
 * @example
 * await killCgroup(record.cgroups); // true
 */
export async function killCgroup(dirs: string[], opts: { timeoutMs?: number } = {}): Promise<boolean> {
  checkOwned(dirs);
  for (const dir of dirs) {
    if (!fs.existsSync(`${dir}/cgroup.kill`)) continue;
    try {
      fs.writeFileSync(`${dir}/cgroup.kill`, '1');
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw fsError(e, `cannot write to "${dir}/cgroup.kill"`);
    }
  }
  const killRound = (): boolean => {
    const pids = cgroupPids(dirs).filter((p) => p !== process.pid);
    if (pids.length === 0) return true;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (e) {
        if (errno(e) !== 'ESRCH') throw e;
      }
    }
    return false;
  };
  if (await pollUntil(killRound, { timeoutMs: opts.timeoutMs ?? 2000, maxDelayMs: 20 })) return true;
  return cgroupPids(dirs).length === 0;
}

/**
 * Removes the cgroups (and any sub-cgroups the container made), retrying while the last
 * members finish exiting. Missing ones are fine, so it is safe to repeat after a crash.
 * Throws CGROUP_UNAVAILABLE if one is still busy after `timeoutMs`.
 *
 * @example
 * await killCgroup(record.cgroups);
 * await removeCgroups(record.cgroups);
 */
export async function removeCgroups(dirs: string[], opts: { timeoutMs?: number } = {}): Promise<void> {
  checkOwned(dirs);
  const deadline = Date.now() + (opts.timeoutMs ?? 2000);
  const cannot = (d: string, e: unknown): ConductorError =>
    new ConductorError('CGROUP_UNAVAILABLE', `cannot remove cgroup "${d}": ${errno(e) ?? String(e)}`, {
      hint: errno(e) === 'EBUSY' ? 'it still has processes in it' : undefined,
      cause: e,
    });
  for (const dir of dirs) {
    for (const d of subtree(dir)) {
      let busy: unknown;
      const removed = (): boolean => {
        try {
          fs.rmdirSync(d);
          return true;
        } catch (e) {
          if (errno(e) === 'ENOENT') return true;
          if (errno(e) !== 'EBUSY') throw cannot(d, e);
          busy = e;
          return false;
        }
      };
      // One deadline for the whole tree, as before: each directory gets what is left of it.
      if (!(await pollUntil(removed, { timeoutMs: deadline - Date.now(), maxDelayMs: 20 }))) throw cannot(d, busy);
    }
  }
}
