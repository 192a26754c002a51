/**
 * Reading the host's cgroup layout out of /proc/self/mountinfo text. Two layouts are supported:
 * the unified hierarchy (cgroup v2, every current distribution) and the per-controller v1
 * hierarchies (older hosts, and "hybrid" hosts whose cgroup2 mount at /sys/fs/cgroup/unified
 * holds no controllers).
 */

/** The controllers conductor uses, in the order it enables and reports them. */
export const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/** Where the host's cgroup hierarchies are mounted. */
export type CgroupLayout =
  /** `controllers`: what the cgroup2 root offers (its cgroup.controllers). */
  { version: 2; root: string; controllers: string[] } | { version: 1; controllers: V1Mounts };

/** v1 hierarchies by controller. `devices` limits no resource, so it is not in CONTROLLERS. */
export type V1Mounts = { [C in Controller | 'devices']?: string };

interface Mount {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

// mountinfo escapes space, tab, newline and backslash in paths as octal (\040 ...).
const unescape = (p: string): string =>
  p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The cgroup mounts of /proc/self/mountinfo (proc(5)) still visible: not over-mounted later on or above them. */
function parseMountinfo(text: string): Mount[] {
  const all: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) continue;
    all.push({ mountPoint: unescape(f[4]!), fsType: f[sep + 1]!, superOptions: f[sep + 3]!.split(',') });
  }
  const covers = (outer: string, inner: string): boolean =>
    outer === inner || outer === '/' || inner.startsWith(`${outer}/`);
  return all.filter(
    (m, i) =>
      m.fsType.startsWith('cgroup') && !all.slice(i + 1).some((later) => covers(later.mountPoint, m.mountPoint)),
  );
}

/** Mounts under /sys/fs/cgroup first, then in mountinfo order. */
function preferred(mounts: Mount[]): Mount[] {
  const std = (m: Mount): number =>
    m.mountPoint === '/sys/fs/cgroup' || m.mountPoint.startsWith('/sys/fs/cgroup/') ? 0 : 1;
  return [...mounts].sort((a, b) => std(a) - std(b));
}

/**
 * The mount point of the cgroup2 hierarchy, or null: the one whose cgroup.controllers file
 * `detectLayoutFrom` wants to be given.
 *
 * @example
 * findCgroup2Mount('41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw'); // '/sys/fs/cgroup/unified'
 */
export function findCgroup2Mount(mountinfo: string): string | null {
  return preferred(parseMountinfo(mountinfo).filter((m) => m.fsType === 'cgroup2'))[0]?.mountPoint ?? null;
}

/**
 * Decides which cgroup hierarchies to use, from /proc/self/mountinfo text and the contents of
 * the cgroup2 mount's cgroup.controllers (null when there is no cgroup2 mount).
 *
 * v2 wins when its root offers memory, cpu and pids, or when no v1 hierarchy has any of them;
 * otherwise the v1 hierarchies are used (a hybrid host binds the controllers to v1, leaving the
 * cgroup2 mount empty). A v1 controller is found by the super options of its mount, which may
 * be shared with others (`cpu,cpuacct`).
 *
 * @example
 * detectLayoutFrom('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw', 'cpuset cpu io memory pids');
 * // { version: 2, root: '/sys/fs/cgroup', controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] }
 */
export function detectLayoutFrom(mountinfo: string, controllers: string | null): CgroupLayout {
  const mounts = parseMountinfo(mountinfo);
  const root = findCgroup2Mount(mountinfo);
  const v2 = controllers?.split(/\s+/).filter(Boolean) ?? [];
  const v1: V1Mounts = {};
  for (const m of preferred(mounts.filter((x) => x.fsType === 'cgroup'))) {
    for (const c of [...CONTROLLERS, 'devices'] as const) if (m.superOptions.includes(c)) v1[c] ??= m.mountPoint;
  }
  const v1Any = CONTROLLERS.some((c) => v1[c] !== undefined);
  if (root !== null && (CONTROLLERS.every((c) => v2.includes(c)) || !v1Any))
    return { version: 2, root, controllers: v2 };
  return { version: 1, controllers: v1 };
}
