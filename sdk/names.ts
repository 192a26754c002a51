import { ConductorError } from './errors.ts';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** Image, container and volume names: safe as a path component and as an iptables comment. */
export function validateName(kind: 'image' | 'container' | 'volume', name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name) : String(name);
    throw new ConductorError('INVALID_NAME', `invalid ${kind} name ${shown}`, {
      hint: 'use 1-63 characters from [a-zA-Z0-9_.-], starting with a letter or digit',
    });
  }
  return name;
}

export function isValidName(name: string): boolean {
  return NAME.test(name);
}
