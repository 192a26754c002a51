/**
 * The capability set a container's process ends up with, computed the way native/conductor-init.c
 * computes it (Docker's TweakCapabilities), so filters that depend on capabilities (seccomp's
 * includes.caps) are built for exactly the set the kernel will see. A unit test keeps both in sync.
 */
import { ConductorError } from '../errors.ts';
import type { SecurityOptions } from '../types.ts';

/** Index = capability number (linux/capability.h), as the init helper's table. */
export const CAP_NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/**
 * What an unprivileged container keeps without --cap-add/--cap-drop (the init helper's default set):
 * podman's, Docker's without NET_RAW (spoofed packets, router advertisements), MKNOD and AUDIT_WRITE.
 */
export const DEFAULT_CAPS: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
];

/** "chown", "CAP_CHOWN", "Cap_Chown" → "CAP_CHOWN"; "all" → "ALL". */
export function capName(name: string): string {
  const n = name.toUpperCase().replace(/^CAP_/, '');
  if (n === 'ALL') return 'ALL';
  const full = `CAP_${n}`;
  if (!(CAP_NAMES as readonly string[]).includes(full)) {
    throw new ConductorError('INVALID_ARGUMENT', `unknown capability "${name}"`, {
      hint: 'use a name from capabilities(7), e.g. NET_ADMIN, or ALL',
    });
  }
  return full;
}

/**
 * Docker's TweakCapabilities, independent of option order: add ALL = all but the drops; drop ALL =
 * only the adds; else (default − drops) + adds. `grantable` is what the caller can hand on (its
 * bounding set): the helper cannot raise a capability it does not hold.
 * @example effectiveCaps({ privileged: false, capAdd: ['NET_ADMIN'], capDrop: ['CHOWN'] }).has('CAP_NET_ADMIN') // true
 */
export function effectiveCaps(
  sec: Pick<SecurityOptions, 'capAdd' | 'capDrop'>,
  grantable: readonly string[] = CAP_NAMES,
): Set<string> {
  const add = new Set(sec.capAdd.map(capName));
  const drop = new Set(sec.capDrop.map(capName));
  let caps: string[];
  if (add.has('ALL')) caps = drop.has('ALL') ? [] : CAP_NAMES.filter((c) => !drop.has(c));
  else if (drop.has('ALL')) caps = [...add];
  else caps = [...DEFAULT_CAPS.filter((c) => !drop.has(c)), ...add];
  const can = new Set(grantable);
  return new Set(caps.filter((c) => can.has(c)));
}

/** Capability names in a /proc/<pid>/status mask such as CapBnd ("000001ffffffffff"). */
export function capsOfMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return CAP_NAMES.filter((_, i) => ((mask >> BigInt(i)) & 1n) === 1n);
}
