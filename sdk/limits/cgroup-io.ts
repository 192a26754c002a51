/** The small fs helpers the cgroup effects share: errno codes, tolerant reads, one error shape. */
import * as fs from 'node:fs';
import { ConductorError } from '../errors.ts';

export const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

export function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return null;
    throw e;
  }
}

export function fsError(e: unknown, what: string): ConductorError {
  const code = errno(e) ?? String(e);
  const denied = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
  return new ConductorError('CGROUP_UNAVAILABLE', `${what}: ${code}`, {
    hint: denied ? 'conductor needs root and a writable /sys/fs/cgroup' : undefined,
    cause: e,
  });
}
