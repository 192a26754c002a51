/** Preconditions on the host, checked before any change. */
import { existsSync } from 'node:fs';
import { INIT_HELPER, MONITOR, TTY_RELAY } from '../config.ts';
import { ConductorError } from '../errors.ts';

export function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ConductorError('NOT_ROOT', 'conductor needs root (namespaces, mounts, iptables)', {
      hint: 'run it with sudo',
    });
  }
}

/** @param tty also the relay that -t needs */
export function requireInitHelper(tty = false): void {
  const missing = [INIT_HELPER, MONITOR, ...(tty ? [TTY_RELAY] : [])].find((f) => !existsSync(f));
  if (missing) {
    throw new ConductorError('MISSING_TOOL', `the helper "${missing}" is not built`, {
      hint: 'run `npm ci` (or `make -C native`; needs gcc and libc6-dev)',
    });
  }
}
