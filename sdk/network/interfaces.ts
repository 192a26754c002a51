/** Names of conductor's host interfaces and state-root ids: short, derived, collision-free. */
import { createHash } from 'node:crypto';

export const HOST_IF_PREFIX = 'cnd';
const HOST_IF = /^cnd[0-9a-f]{8}$/;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** 8 hex of sha256(state root): tells two state roots' rules apart. @example rootIdOf('/srv/c') */
export function rootIdOf(root: string): string {
  return sha256(root).slice(0, 8);
}

/**
 * The host end of a container's veth: `cnd` + 8 hex, 11 characters whatever the name (IFNAMSIZ is 16).
 * @example hostInterfaceName('/srv/conductor', 'web') // 'cnd…'
 */
export function hostInterfaceName(root: string, name: string): string {
  return HOST_IF_PREFIX + sha256(`${root}\0${name}`).slice(0, 8);
}

export function isConductorInterface(dev: string | undefined): boolean {
  return dev !== undefined && HOST_IF.test(dev);
}
