/**
 * Exclusive locks between conductor processes: flock(2) on a file under the state root.
 *
 * Why flock: the kernel releases it when its holder dies (SIGKILL included), so there is no stale
 * lock to detect and no stale-breaking step that could let a third process in between a check and
 * a rename (two holders). Why a file under the state root rather than an abstract UNIX socket: a
 * socket name is per network namespace (a conductor run under `ip netns exec`, or inside a build
 * step on the host network, would not see the other holders) and any local user, or a build
 * step, can bind the name first and wedge conductor; the lock file sits in a root-only directory.
 *
 * Node has no flock. An uncontended lock is taken in-process by native/conductor-flock.node
 * (LOCK_EX|LOCK_NB, never blocking the event loop). A held one, or any lock where that addon is not
 * built, is taken by util-linux `flock` on an open file description we share with it (our fd,
 * handed over as its fd 3): a flock belongs to the open file description, not the process, so when
 * `flock` exits the lock stays held through our fd, until we close it (or die). That costs a
 * short-lived child per acquisition (a fork + exec: a run takes three locks); the wait happens in the
 * kernel, never a poll.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FLOCK_ADDON } from '../config.ts';
import { CommandError, ConductorError } from '../errors.ts';
import { startTimeOf } from '../host/proc.ts';

/** util-linux's, by absolute path: a PATH search costs a failed execve per entry on every lock. */
const FLOCK = '/usr/bin/flock';

/** `flock`'s exit code when `-w` ran out (its default, 1, is also what a bad argument gives). */
const TIMED_OUT = 75;

interface FlockAddon {
  /** LOCK_EX|LOCK_NB on fd: true if taken, false if another open file description holds it. */
  tryLock(fd: number): boolean;
}

let addon: FlockAddon | null | undefined;

/** native/conductor-flock.node, loaded once; null where it is not built (no node headers at install). */
function flockAddon(): FlockAddon | null {
  if (addon === undefined)
    addon = existsSync(FLOCK_ADDON) ? (createRequire(import.meta.url)(FLOCK_ADDON) as FlockAddon) : null;
  return addon;
}

/** `timeoutMs` 0: do not wait (flock -n); 'timeout' then means another holder has it. */
function takeFlock(fd: number, timeoutMs: number, shared = false): Promise<'ok' | 'timeout'> {
  if (!shared && flockAddon()?.tryLock(fd)) return Promise.resolve('ok');
  const wait = timeoutMs === 0 ? ['-n'] : ['-w', String(Math.max(1, Math.ceil(timeoutMs / 1000)))];
  return new Promise((resolve, reject) => {
    const args = [shared ? '-s' : '-x', ...wait, '-E', String(TIMED_OUT), '3'];
    const child = spawn(FLOCK, args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new ConductorError('MISSING_TOOL', 'flock (util-linux) is not installed', {
              hint: 'apt-get install util-linux',
            })
          : e,
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve('ok');
      else if (code === TIMED_OUT) resolve('timeout');
      else reject(new CommandError([FLOCK, ...args], code, err));
    });
  });
}

/** Does the path still name the file we locked? A remover may have unlinked it while we waited. */
function stillNamed(fd: number, file: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(file);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/** This process's start time (for the owner line): read once, it never changes. */
let ownStart: string | undefined;

/** The owner line of LockOptions.ownerLine; informational, so a failed write is ignored. */
function writeOwner(fd: number): void {
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, JSON.stringify({ pid: process.pid, startTime: (ownStart ??= startTimeOf(process.pid) ?? '') }), 0);
  } catch {
    /* informational */
  }
}

export interface HeldLock {
  file: string;
}

/** A lock taken by holdFlock; `release` closes it (and, with `unlink`, removes the file first). */
export interface HeldFlock {
  release(opts?: { unlink?: boolean }): void;
}

/**
 * Take a flock on `file` and keep it until `release`: shared (many holders) or exclusive, waiting up
 * to `timeoutMs` (0: not at all, resolving null when another holder has it). Unlike withLock the
 * file stays after release (shared holders cannot know who is last); only an exclusive holder
 * unlinks it, and a waiter that then finds its inode unlinked starts over on the new file.
 * @example
 * const held = await holdFlock('/var/lib/conductor/.build-cache/ab12.lock', { shared: true, timeoutMs: 60_000 });
 * try { useTheCache(); } finally { held?.release(); }
 */
export async function holdFlock(
  file: string,
  opts: { shared?: boolean; timeoutMs: number },
): Promise<HeldFlock | null> {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    let got: 'ok' | 'timeout';
    try {
      got = await takeFlock(fd, opts.timeoutMs === 0 ? 0 : Math.max(1, deadline - Date.now()), opts.shared);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (got === 'timeout') {
      closeSync(fd);
      if (opts.timeoutMs === 0) return null;
      throw new ConductorError(
        'TIMEOUT',
        `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for lock "${file}"`,
        {
          hint: `another conductor holds it (fuser -v ${file})`,
        },
      );
    }
    if (!stillNamed(fd, file)) {
      closeSync(fd);
      continue;
    }
    return {
      release(r) {
        if (r?.unlink) {
          try {
            unlinkSync(file);
          } catch {
            /* already gone */
          }
        }
        closeSync(fd);
      },
    };
  }
}

export interface LockOptions {
  /** Give up after this long (TIMEOUT); default 120 s. */
  timeoutMs?: number;
  /**
   * Write the owner into the lock file while it is held, in the format of the link-based locks
   * conductor used before: one of those still running on this host then waits for the file instead
   * of taking it for garbage. Only the host-wide locks under /run/conductor need it (they are
   * shared by every checkout). Off by default: on a filesystem mounted with `discard` (ext4 here)
   * freeing the written block when the unlinked file is closed costs ~3 ms per lock.
   */
  ownerLine?: boolean;
}

/**
 * Run `fn` holding the lock `name` (a file `<lockDir>/<name>.lock`). Holders run one at a time,
 * across processes; a holder that dies releases it at once.
 * @example await withLock(paths.locks, 'names', async () => createRecord());
 */
export async function withLock<T>(
  lockDir: string,
  name: string,
  fn: (held: HeldLock) => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  mkdirSync(lockDir, { recursive: true, mode: 0o700 });
  const file = path.join(lockDir, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  let fd: number;
  for (;;) {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    let got: 'ok' | 'timeout';
    try {
      got = await takeFlock(fd, deadline - Date.now());
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (got === 'timeout') {
      closeSync(fd);
      throw new ConductorError(
        'TIMEOUT',
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for lock "${name}"`,
        {
          hint: `another conductor holds it (fuser -v ${file})`,
        },
      );
    }
    // Locked an inode that has since been unlinked: nobody else can see it, so it excludes nothing.
    if (stillNamed(fd, file)) break;
    closeSync(fd);
  }
  if (opts.ownerLine) writeOwner(fd);
  try {
    return await fn({ file });
  } finally {
    // Unlinked just before the lock is let go, never earlier: a newcomer creating a fresh file
    // cannot overlap with this holder, and a waiter on this one sees it unlinked and starts over.
    // No lock file outlives its holder (nor piles up per container name).
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
    closeSync(fd);
  }
}
