/**
 * The devices a container may open, as cgroup device rules: one list, written to a v1 devices
 * cgroup (devices.allow) or compiled into a v2 BPF device filter (native/devices.c).
 *
 * Every writable mount of a container is nodev already, so a node it mknods is useless; the
 * devices cgroup is the second wall, the one that still holds if a writable mount without nodev
 * ever appears (a future volume option, a mistake), and the one that governs device access for
 * a container given CAP_SYS_ADMIN.
 */

/** A cgroup device rule: `c 1:3 rwm` (type, major:minor, access; `*` = any number). */
export interface DeviceRule {
  type: 'c' | 'b';
  major: number | '*';
  minor: number | '*';
  /** A non-empty subset of rwm: read, write, mknod. */
  access: string;
}

/**
 * Docker's default allow list: runc's specconv.AllowedDevices, which moby applies to every
 * unprivileged container. mknod of any node is allowed (images unpack device files), opening one
 * is not, except for the nodes conductor itself puts in /dev and the pty slaves.
 *
 * runc dropped /dev/console (c 5:1) from this list: it is the host's console, and a container's
 * console is a /dev/pts slave anyway. conductor follows runc.
 */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  { type: 'c', major: '*', minor: '*', access: 'm' },
  { type: 'b', major: '*', minor: '*', access: 'm' },
  { type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { type: 'c', major: 136, minor: '*', access: 'rwm' }, // /dev/pts/*
  { type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun, kept by runc for compatibility
];

/**
 * The rule in the syntax of v1's devices.allow and devices.list (and of the BPF helper's argv).
 *
 * @example
 * deviceRuleString({ type: 'c', major: 136, minor: '*', access: 'rwm' }); // 'c 136:* rwm'
 */
export function deviceRuleString(r: DeviceRule): string {
  return `${r.type} ${r.major}:${r.minor} ${r.access}`;
}

/**
 * The rules of a v1 devices.list, one per line, in the kernel's order (the order they were
 * allowed in).
 *
 * @example
 * parseDevicesList('c *:* m\nc 1:3 rwm\n'); // ['c *:* m', 'c 1:3 rwm']
 */
export function parseDevicesList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
