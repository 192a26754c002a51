/** Small filesystem primitives: atomic writes and exclusive locks. */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTimeOf } from '../host/proc.ts';

export interface WriteOptions {
  /**
   * Create missing parent directories (default true). Off for files inside a directory that may
   * be removed concurrently (a container's): a late write must fail, not bring the directory back.
   */
  mkdir?: boolean;
  /** The new file's mode (default 0666 less the umask). */
  mode?: number;
}

/** Write a file so readers see the old or the new content, never half of it. */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: WriteOptions = {}): void {
  if (opts.mkdir !== false) mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data, opts.mode === undefined ? undefined : { mode: opts.mode });
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

export function writeJson(file: string, value: unknown, opts: WriteOptions = {}): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', opts);
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
