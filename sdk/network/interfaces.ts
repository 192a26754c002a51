/**
 * Names of conductor's host interfaces and state-root ids: short and derived (32 bits of
 * sdk/hash.ts's FNV: root's own inputs, and no node:crypto on addnetwork's path). Records keep the
 * names they were made with; conductor finds its interfaces by pattern and its rules by the undo
 * steps it recorded, never by deriving a name again.
 */
import { shortHash } from '../hash.ts';

export const HOST_IF_PREFIX = 'cnd';
const HOST_IF = /^cnd[0-9a-f]{8}$/;

/** 8 hex of the state root's hash: tells two state roots' rules apart. @example rootIdOf('/srv/c') */
export function rootIdOf(root: string): string {
  return shortHash(root).slice(0, 8);
}

/**
 * The host end of a container's veth: `cnd` + 8 hex, 11 characters whatever the name (IFNAMSIZ is 16).
 * @example hostInterfaceName('/srv/conductor', 'web') // 'cnd…'
 */
export function hostInterfaceName(root: string, name: string): string {
  return HOST_IF_PREFIX + shortHash(`${root}\0${name}`).slice(0, 8);
}

export function isConductorInterface(dev: string | undefined): boolean {
  return dev !== undefined && HOST_IF.test(dev);
}
