/**
 * Pure planning of container resource limits: parsing `--memory` / `--cpus` / `--pids-limit`,
 * reading the host's cgroup layout out of /proc/self/mountinfo text, and turning limits into the
 * directories and interface-file writes that sdk/cgroups.ts carries out.
 *
 * Two layouts are supported: the unified hierarchy (cgroup v2, every current distribution) and
 * the per-controller v1 hierarchies (older hosts, and "hybrid" hosts whose cgroup2 mount at
 * /sys/fs/cgroup/unified holds no controllers).
 */
import type { ResourceLimits } from '../types.ts';
import { ConductorError } from '../errors.ts';
import { DEFAULT_DEVICE_RULES, deviceRuleString } from './device-rules.ts';

/** The controllers conductor uses, in the order it enables and reports them. */
export const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/** Docker's floor: below this the kernel OOM-kills most programs before they start. */
export const MIN_MEMORY = 6 * 1024 * 1024;
/** CFS bandwidth period (µs); Docker and runc use the kernel default of 100 ms. */
export const CPU_PERIOD = 100_000;
/** The kernel rejects a CFS quota below 1 ms, so --cpus has a floor of 0.01. */
const MIN_CPU_QUOTA = 1_000;
/** Every container's cgroup lives under this directory, so conductor's cgroups are easy to find. */
export const PARENT = 'conductor';

/** Where the host's cgroup hierarchies are mounted. */
export type CgroupLayout =
  /** `controllers`: what the cgroup2 root offers (its cgroup.controllers). */
  | { version: 2; root: string; controllers: string[] }
  | { version: 1; controllers: V1Mounts };

/** v1 hierarchies by controller. `devices` limits no resource, so it is not in CONTROLLERS. */
export type V1Mounts = { [C in Controller | 'devices']?: string };

export interface CgroupWrite {
  file: string;
  value: string;
  /**
   * Skip silently when the kernel does not offer the file (swap accounting is off on many
   * hosts: no memory.memsw.* in v1, no memory.swap.max in v2). The file only appears once the
   * cgroup exists, so only the effect can check it.
   */
  optional?: boolean;
}

/**
 * How the container's device access is restricted (see sdk/device-rules.ts).
 * - `v1`: the devices.deny / devices.allow writes are in `writes`; afterwards `list` must read
 *   back exactly as `expect` (runc's final check: a kernel that merged or dropped a rule would
 *   otherwise go unnoticed).
 * - `bpf`: v2 has no devices files; a BPF device filter allowing `rules` is attached to `cgroup`
 *   (native/devices.c) after `writes` and before any process joins.
 * - `none`: a privileged container (Docker's --privileged allows every device), or a v1 host
 *   without the devices controller; nodev mounts are then the only wall.
 */
export type DevicePlan =
  | { kind: 'v1'; list: string; expect: string[] }
  | { kind: 'bpf'; cgroup: string; rules: string[] }
  | { kind: 'none'; reason: 'privileged' | 'unavailable' };

export interface CgroupPlanOptions {
  /** Allow every device (privileged containers), as Docker does. */
  allDevices?: boolean;
}

export interface CgroupPlan {
  /** The container's cgroup directories (one for v2, one per controller for v1). */
  dirs: string[];
  /** Limits, written after `dirs` exist, in order. */
  writes: CgroupWrite[];
  /** cgroup.procs files the container's processes join. */
  procs: string[];
  /** v2 cgroup.subtree_control writes on the parents, root first, made before creating `dirs`. */
  enable: CgroupWrite[];
  devices: DevicePlan;
}

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const FLAGS: Record<Controller, string> = { memory: '--memory', cpu: '--cpus', pids: '--pids-limit' };

function invalid(flag: string, value: string, hint: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid ${flag} ${JSON.stringify(value)}`, { hint });
}

/**
 * Parses a memory size the way `docker run --memory` does: bytes, or a number with a
 * case-insensitive b, k, m or g suffix (binary units; "mb" and "mib" are read as "m").
 * Fractions are allowed and rounded down to whole bytes. The minimum is 6 MiB.
 *
 * @example
 * parseMemory('256m'); // 268435456
 * parseMemory('1G');   // 1073741824
 * parseMemory('abc');  // throws INVALID_ARGUMENT: invalid --memory "abc" (use e.g. 256m or 1g)
 */
export function parseMemory(s: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmg])(?:i?b)?|(b))?$/i.exec(s.trim());
  if (!m) throw invalid('--memory', s, 'use e.g. 256m or 1g');
  const unit = (m[2] ?? m[3] ?? 'b').toLowerCase();
  const bytes = Math.floor(Number(m[1]) * UNITS[unit]!);
  if (!Number.isSafeInteger(bytes)) throw invalid('--memory', s, 'that is more memory than any host has');
  if (bytes < MIN_MEMORY) throw invalid('--memory', s, 'the minimum is 6m');
  return bytes;
}

/**
 * Parses a number of CPUs (`--cpus`): a positive decimal from 0.01 up. Whether the host has
 * that many CPUs is for the caller to check.
 *
 * @example
 * parseCpus('0.5'); // 0.5
 * parseCpus('0');   // throws INVALID_ARGUMENT
 */
export function parseCpus(s: string): number {
  const t = s.trim();
  const hint = 'use a number of CPUs from 0.01 up, e.g. 0.5 or 2';
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) throw invalid('--cpus', s, hint);
  const cpus = Number(t);
  if (!Number.isFinite(cpus) || Math.round(cpus * CPU_PERIOD) < MIN_CPU_QUOTA || cpus > 1e6) throw invalid('--cpus', s, hint);
  return cpus;
}

/**
 * Parses `--pids-limit`: a positive whole number of processes (threads count too).
 *
 * @example
 * parsePids('100'); // 100
 * parsePids('-1');  // throws INVALID_ARGUMENT
 */
export function parsePids(s: string): number {
  const t = s.trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalid('--pids-limit', s, 'use a positive whole number, e.g. 100');
  return n;
}

/** Checks limits that did not come through the parsers (SDK callers build ResourceLimits directly). */
function checkLimits(limits: ResourceLimits): void {
  const { memory, cpus, pids } = limits;
  if (memory !== undefined && (!Number.isSafeInteger(memory) || memory < MIN_MEMORY)) {
    throw invalid('--memory', String(memory), 'use a whole number of bytes from 6 MiB up');
  }
  if (cpus !== undefined && (!Number.isFinite(cpus) || Math.round(cpus * CPU_PERIOD) < MIN_CPU_QUOTA)) {
    throw invalid('--cpus', String(cpus), 'use a number of CPUs from 0.01 up, e.g. 0.5 or 2');
  }
  if (pids !== undefined && (!Number.isSafeInteger(pids) || pids < 1)) {
    throw invalid('--pids-limit', String(pids), 'use a positive whole number, e.g. 100');
  }
}

interface Mount {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

// mountinfo escapes space, tab, newline and backslash in paths as octal (\040 ...).
const unescape = (p: string): string => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

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
    (m, i) => m.fsType.startsWith('cgroup') && !all.slice(i + 1).some((later) => covers(later.mountPoint, m.mountPoint)),
  );
}

/** Mounts under /sys/fs/cgroup first, then in mountinfo order. */
function preferred(mounts: Mount[]): Mount[] {
  const std = (m: Mount): number => (m.mountPoint === '/sys/fs/cgroup' || m.mountPoint.startsWith('/sys/fs/cgroup/') ? 0 : 1);
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
  if (root !== null && (CONTROLLERS.every((c) => v2.includes(c)) || !v1Any)) return { version: 2, root, controllers: v2 };
  return { version: 1, controllers: v1 };
}

function unavailable(c: Controller, layout: CgroupLayout): ConductorError {
  const how =
    layout.version === 2
      ? `it is not listed in ${layout.root}/cgroup.controllers`
      : `no cgroup v1 hierarchy with it is mounted`;
  return new ConductorError('CGROUP_UNAVAILABLE', `the "${c}" cgroup controller is not available on this host`, {
    hint: `${how}; run without ${FLAGS[c]} or enable it on the host`,
  });
}

/** The controllers a set of limits needs. */
function needed(limits: ResourceLimits): Controller[] {
  return CONTROLLERS.filter((c) => (c === 'cpu' ? limits.cpus : limits[c]) !== undefined);
}

/**
 * Plans a container's cgroups under `<hierarchy>/conductor/<id>`. A cgroup is always planned,
 * even without limits, so every process of the container (`exec`'d ones too) is tracked and
 * `stop` can make sure none is left. On v1 that is the pids hierarchy (else any of memory and
 * cpu; with none of them mounted and no limits asked for, the plan is empty).
 *
 * Swap is not granted: memory+swap is limited to the memory limit where the kernel accounts swap.
 *
 * Devices: Docker's default allow list (DEFAULT_DEVICE_RULES), in the v1 devices hierarchy or as
 * a BPF filter on the v2 cgroup; `opts.allDevices` (privileged) plans none.
 *
 * @example
 * planCgroups({ version: 2, root: '/sys/fs/cgroup', controllers: ['memory', 'cpu', 'pids'] }, 'a1b2c3', { memory: 268435456 });
 * // { dirs: ['/sys/fs/cgroup/conductor/a1b2c3'],
 * //   enable: [{ file: '/sys/fs/cgroup/cgroup.subtree_control', value: '+memory +cpu +pids' }, ...conductor/],
 * //   writes: [{ file: '.../memory.max', value: '268435456' }, { file: '.../memory.swap.max', value: '0', optional: true }],
 * //   procs: ['/sys/fs/cgroup/conductor/a1b2c3/cgroup.procs'],
 * //   devices: { kind: 'bpf', cgroup: '/sys/fs/cgroup/conductor/a1b2c3', rules: ['c *:* m', 'b *:* m', 'c 1:3 rwm', ...] } }
 */
export function planCgroups(layout: CgroupLayout, id: string, limits: ResourceLimits, opts: CgroupPlanOptions = {}): CgroupPlan {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(id)) {
    throw new ConductorError('INVALID_ARGUMENT', `invalid cgroup id ${JSON.stringify(id)}`);
  }
  checkLimits(limits);
  const want = needed(limits);
  const writes: CgroupWrite[] = [];
  const w = (file: string, value: string | number, optional = false): void => {
    writes.push(optional ? { file, value: String(value), optional } : { file, value: String(value) });
  };
  const quota = limits.cpus === undefined ? 0 : Math.round(limits.cpus * CPU_PERIOD);
  const rules = DEFAULT_DEVICE_RULES.map(deviceRuleString);

  if (layout.version === 2) {
    for (const c of want) if (!layout.controllers.includes(c)) throw unavailable(c, layout);
    const parent = `${layout.root}/${PARENT}`;
    const dir = `${parent}/${id}`;
    // v2's no-internal-process rule: processes only ever go in the leaf, never in conductor/.
    const enabled = CONTROLLERS.filter((c) => layout.controllers.includes(c));
    const value = enabled.map((c) => `+${c}`).join(' ');
    const enable = enabled.length ? [`${layout.root}`, parent].map((p) => ({ file: `${p}/cgroup.subtree_control`, value })) : [];
    if (limits.memory !== undefined) {
      w(`${dir}/memory.max`, limits.memory);
      w(`${dir}/memory.swap.max`, 0, true);
    }
    if (limits.cpus !== undefined) w(`${dir}/cpu.max`, `${quota} ${CPU_PERIOD}`);
    if (limits.pids !== undefined) w(`${dir}/pids.max`, limits.pids);
    const devices: DevicePlan = opts.allDevices ? { kind: 'none', reason: 'privileged' } : { kind: 'bpf', cgroup: dir, rules };
    return { dirs: [dir], writes, procs: [`${dir}/cgroup.procs`], enable, devices };
  }

  const mounts = layout.controllers;
  for (const c of want) if (mounts[c] === undefined) throw unavailable(c, layout);
  const tracking = (['pids', 'memory', 'cpu'] as const).find((c) => mounts[c] !== undefined);
  const used = new Set<Controller | 'devices'>(want);
  if (tracking) used.add(tracking);
  const restrict = !opts.allDevices && mounts.devices !== undefined;
  if (restrict) used.add('devices');
  const dirOf = (c: Controller | 'devices'): string => `${mounts[c]!}/${PARENT}/${id}`;
  // Co-mounted controllers (e.g. "memory,pids" on one hierarchy) share one directory.
  const dirs = [...new Set(([...CONTROLLERS, 'devices'] as const).filter((c) => used.has(c)).map(dirOf))];
  if (limits.memory !== undefined) {
    // memsw must never be below the memory limit, so it is written second.
    w(`${dirOf('memory')}/memory.limit_in_bytes`, limits.memory);
    w(`${dirOf('memory')}/memory.memsw.limit_in_bytes`, limits.memory, true);
  }
  if (limits.cpus !== undefined) {
    w(`${dirOf('cpu')}/cpu.cfs_period_us`, CPU_PERIOD);
    w(`${dirOf('cpu')}/cpu.cfs_quota_us`, quota);
  }
  if (limits.pids !== undefined) w(`${dirOf('pids')}/pids.max`, limits.pids);
  let devices: DevicePlan = { kind: 'none', reason: opts.allDevices ? 'privileged' : 'unavailable' };
  if (restrict) {
    // A new v1 cgroup inherits its parent's list (the root's "a *:* rwm"): empty it, then allow.
    // No process is in it yet, so nothing ever runs between the deny and the allows.
    w(`${dirOf('devices')}/devices.deny`, 'a');
    for (const r of rules) w(`${dirOf('devices')}/devices.allow`, r);
    devices = { kind: 'v1', list: `${dirOf('devices')}/devices.list`, expect: rules };
  }
  return { dirs, writes, procs: dirs.map((d) => `${d}/cgroup.procs`), enable: [], devices };
}

const UNLIMITED_V1 = 2 ** 53; // v1 reports "no limit" as ~2^63 rounded to a page

/**
 * Every directory a container's cgroups can have on this layout, whatever its limits were: what
 * `stop` checks for a run killed before it recorded the ones it made.
 * @example cgroupDirsFor({ version: 2, root: '/sys/fs/cgroup', controllers: [] }, 'a1b2') // ['/sys/fs/cgroup/conductor/a1b2']
 */
export function cgroupDirsFor(layout: CgroupLayout, id: string): string[] {
  if (layout.version === 2) return [`${layout.root}/${PARENT}/${id}`];
  const mounts = ([...CONTROLLERS, 'devices'] as const).map((c) => layout.controllers[c]).filter((m): m is string => m !== undefined);
  return [...new Set(mounts.map((m) => `${m}/${PARENT}/${id}`))];
}

/**
 * Reads limits back from interface files (basename → contents, from any of the container's
 * cgroup directories), for `inspect`. Absent or unlimited values are left out.
 *
 * @example
 * limitsFromFiles({ 'memory.max': '67108864\n', 'cpu.max': '50000 100000\n', 'pids.max': 'max\n' });
 * // { memory: 67108864, cpus: 0.5 }
 */
export function limitsFromFiles(files: Record<string, string>): ResourceLimits {
  const out: ResourceLimits = {};
  const num = (name: string): number | undefined => {
    const v = files[name]?.trim();
    return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
  };
  const memory = num('memory.max') ?? num('memory.limit_in_bytes');
  if (memory !== undefined && memory < UNLIMITED_V1) out.memory = memory;
  const cpuMax = files['cpu.max']?.trim().split(/\s+/);
  const [quota, period] = cpuMax ? cpuMax.map(Number) : [num('cpu.cfs_quota_us'), num('cpu.cfs_period_us')];
  if (quota !== undefined && period !== undefined && quota > 0 && period > 0) out.cpus = quota / period;
  const pids = num('pids.max');
  if (pids !== undefined) out.pids = pids;
  return out;
}

/**
 * The `oom_kill` count of a v2 memory.events or v1 memory.oom_control file (0 when absent:
 * v1 kernels before 4.13 do not report it).
 *
 * @example
 * parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 1\n'); // 1
 */
export function parseOomKills(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}
