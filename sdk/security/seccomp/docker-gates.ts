/**
 * Docker's restrictions on top of the distribution's profile. Debian's
 * /usr/share/containers/seccomp.json is podman's profile, which leaves namespaces, mounts and
 * keyrings to capabilities alone: it allows unshare, setns, clone with any flags, mount, keyctl
 * and pivot_root to every container. But a user namespace needs no capability, and inside one
 * container root gets CAP_SYS_ADMIN over the kernel's namespaced-root surface (the home of most
 * container-escape CVEs of recent years); keyrings are not namespaced at all. Docker's default
 * profile (moby profiles/seccomp/default.json) allows those only with CAP_SYS_ADMIN (or never),
 * returns EPERM for anything unlisted, and ENOSYS for clone3 so glibc falls back to clone, whose
 * namespace flags it can inspect. This module applies exactly those rules to whatever profile the
 * distribution ships, so its list of ordinary syscalls (updated with its libc) is kept.
 */
import type { SeccompProfile, SeccompRule } from './profile.ts';

/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (0x7E020000): clone may set none of them. */
const CLONE_NAMESPACE_FLAGS = 2114060288;

/** Syscalls that are allowed only through the rules below (or not at all: keyctl, add_key, request_key, pivot_root). */
export const DOCKER_GATED = [
  'add_key',
  'clone',
  'clone3',
  'fsconfig',
  'fsmount',
  'fsopen',
  'fspick',
  'get_mempolicy',
  'keyctl',
  'mbind',
  'mount',
  'mount_setattr',
  'move_mount',
  'open_tree',
  'pidfd_getfd',
  'pivot_root',
  'quotactl_fd',
  'reboot',
  'request_key',
  'set_mempolicy',
  'set_mempolicy_home_node',
  'setns',
  'syslog',
  'umount',
  'umount2',
  'unshare',
] as const;

/** moby's conditional rules for the gated syscalls. */
export const DOCKER_GATE_RULES: SeccompRule[] = [
  {
    names: [
      'clone',
      'clone3',
      'fsconfig',
      'fsmount',
      'fsopen',
      'fspick',
      'mount',
      'mount_setattr',
      'move_mount',
      'open_tree',
      'quotactl_fd',
      'setns',
      'syslog',
      'umount',
      'umount2',
      'unshare',
    ],
    action: 'SCMP_ACT_ALLOW',
    includes: { caps: ['CAP_SYS_ADMIN'] },
    comment: 'conductor (Docker): namespaces and mounts need CAP_SYS_ADMIN',
  },
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    comment: 'conductor (Docker): clone without namespace flags',
  },
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    includes: { arches: ['s390', 's390x'] },
    excludes: { caps: ['CAP_SYS_ADMIN'] },
    comment: 'conductor (Docker): s390 passes the clone flags second',
  },
  {
    // Its flags live in a struct seccomp cannot read: ENOSYS makes glibc retry with clone.
    names: ['clone3'],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: 38,
    excludes: { caps: ['CAP_SYS_ADMIN'] },
    comment: 'conductor (Docker): clone3 → ENOSYS so libc falls back to clone',
  },
  { names: ['reboot'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_BOOT'] }, comment: 'conductor (Docker)' },
  {
    names: ['pidfd_getfd'],
    action: 'SCMP_ACT_ALLOW',
    includes: { caps: ['CAP_SYS_PTRACE'] },
    comment: 'conductor (Docker)',
  },
  {
    names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
    action: 'SCMP_ACT_ALLOW',
    includes: { caps: ['CAP_SYS_NICE'] },
    comment: 'conductor (Docker)',
  },
  { names: ['syslog'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYSLOG'] }, comment: 'conductor (Docker)' },
];

/**
 * The profile with Docker's semantics: EPERM by default, the gated syscalls removed from every
 * rule that allows them without a capability condition, and Docker's conditional rules appended.
 * @example
 * const distro = parseSeccompProfile(readFileSync('/usr/share/containers/seccomp.json', 'utf8'), 'f');
 * withDockerGates(distro).defaultErrnoRet // 1
 */
export function withDockerGates(p: SeccompProfile): SeccompProfile {
  const gated = new Set<string>(DOCKER_GATED);
  const syscalls: SeccompRule[] = [];
  for (const rule of p.syscalls) {
    const loose =
      rule.action !== 'SCMP_ACT_ERRNO' &&
      rule.action !== 'SCMP_ACT_KILL' &&
      rule.action !== 'SCMP_ACT_KILL_THREAD' &&
      rule.action !== 'SCMP_ACT_KILL_PROCESS' &&
      !rule.includes?.caps?.length;
    if (!loose) {
      syscalls.push(rule);
      continue;
    }
    const names = rule.names.filter((n) => !gated.has(n));
    if (names.length > 0) syscalls.push({ ...rule, names });
  }
  return {
    ...p,
    defaultErrnoRet: p.defaultAction === 'SCMP_ACT_ERRNO' ? 1 : p.defaultErrnoRet,
    syscalls: [...syscalls, ...DOCKER_GATE_RULES],
  };
}
