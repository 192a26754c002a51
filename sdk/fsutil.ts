/** Small filesystem primitives: atomic writes and exclusive locks. */
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConductorError } from './errors.ts';
import { isAlive, refOf, startTimeOf } from './proc.ts';
import type { ProcessRef } from './types.ts';

/** Write a file so readers see the old or the new content, never half of it. */
export function writeFileAtomic(file: string, data: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An exclusive lock file holding its owner's PID and start time. A lock whose owner is gone
 * (killed mid-command) is taken over, so a crash never wedges the state root.
 */
export async function withLock<T>(lockDir: string, name: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  mkdirSync(lockDir, { recursive: true });
  const file = path.join(lockDir, `${name}.lock`);
  const me = refOf(process.pid)!;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    if (tryAcquire(file, JSON.stringify(me))) break;
    breakIfStale(file);
    if (Date.now() > deadline) {
      throw new ConductorError('TIMEOUT', `timed out waiting for lock "${name}"`, { hint: `remove ${file} if no conductor is running` });
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Create the lock file already holding its owner: written aside, then hard-linked into place (link
 * fails if the lock exists). An owner killed half-way can never leave an empty lock file that
 * nobody can tell from one being written, and so nobody ever breaks.
 */
function tryAcquire(file: string, owner: string): boolean {
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(aside, owner);
  try {
    linkSync(aside, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    rmSync(aside, { force: true });
  }
}

function breakIfStale(file: string): void {
  let owner: ProcessRef | null = null;
  try {
    owner = JSON.parse(readFileSync(file, 'utf8')) as ProcessRef;
  } catch {
    return; // just released
  }
  if (isAlive(owner)) return;
  // A dead owner may also have left its written-aside copy (killed inside tryAcquire).
  removeDeadOwners(path.dirname(file), /\.lock\.(\d+)\.[a-z0-9]+$/);
  // Move it aside atomically; only one waiter wins the rename. If what we moved is not the stale
  // lock we read (a new owner took it in between), put it back.
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
  } catch {
    return;
  }
  const moved = readFileSync(aside, 'utf8');
  if (moved === JSON.stringify(owner)) rmSync(aside, { force: true });
  else renameSync(aside, file);
}

/**
 * Remove entries of `dir` whose name carries the PID of a process that is gone (group 1 of
 * `pattern`): work dirs of a build or layer whose owner was killed.
 */
export function removeDeadOwners(dir: string, pattern: RegExp): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = pattern.exec(n);
    if (m && startTimeOf(Number(m[1])) === null) rmSync(path.join(dir, n), { recursive: true, force: true });
  }
}
