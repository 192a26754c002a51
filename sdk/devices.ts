/**
 * The device nodes a container gets: a fixed, minimal set (runc's default list), never the host's /dev.
 * Made once per cache with mknod, then copied into each container's tmpfs /dev by one `cp -a`.
 */
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { sh } from './sh.ts';

export const DEVICES: ReadonlyArray<{ name: string; major: number; minor: number; mode: string }> = [
  { name: 'null', major: 1, minor: 3, mode: '666' },
  { name: 'zero', major: 1, minor: 5, mode: '666' },
  { name: 'full', major: 1, minor: 7, mode: '666' },
  { name: 'random', major: 1, minor: 8, mode: '666' },
  { name: 'urandom', major: 1, minor: 9, mode: '666' },
  { name: 'tty', major: 5, minor: 0, mode: '666' },
];

const LINKS: ReadonlyArray<[string, string]> = [
  ['ptmx', 'pts/ptmx'],
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
];

/** Path of the template directory, created on first use. */
export async function ensureDevTemplate(cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'dev');
  if (existsSync(path.join(dir, 'urandom'))) return dir;
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { mode: 0o755 });
  for (const d of ['pts', 'shm', 'mqueue']) mkdirSync(path.join(tmp, d));
  for (const [name, target] of LINKS) symlinkSync(target, path.join(tmp, name));
  for (const d of DEVICES) {
    await sh(['mknod', '-m', d.mode, path.join(tmp, d.name), 'c', d.major, d.minor]);
  }
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process won the race; theirs is identical
  }
  return dir;
}
