/** Preconditions on the host, checked before any change. */
import { existsSync } from 'node:fs';
import { INIT_HELPER } from './config.ts';
import { ConductorError } from './errors.ts';

export function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ConductorError('NOT_ROOT', 'conductor needs root (namespaces, mounts, iptables)', { hint: 'run it with sudo' });
  }
}

export function requireInitHelper(): void {
  if (!existsSync(INIT_HELPER)) {
    throw new ConductorError('MISSING_TOOL', `the init helper "${INIT_HELPER}" is not built`, {
      hint: 'run `npm ci` (or `make -C native`; needs gcc and libc6-dev)',
    });
  }
}
