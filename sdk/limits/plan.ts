/**
 * Pure planning of a container's cgroups: turning limits into the directories and interface-file
 * writes that sdk/limits/cgroupfs.ts carries out, on the layout sdk/limits/layout.ts found.
 */
import type { ResourceLimits } from '../types.ts';
import { ConductorError } from '../errors.ts';
import { DEFAULT_DEVICE_RULES, deviceRuleString } from './device-rules.ts';
import { CPU_PERIOD, checkLimits } from './parse.ts';
import { CONTROLLERS, type CgroupLayout, type Controller } from './layout.ts';

/** Every container's cgroup lives under this directory, so conductor's cgroups are easy to find. */
export const PARENT = 'conductor';

/**
 * The file a process writes "0" to, to move itself into the cgroup `dir`. v2: cgroup.procs.
 * v1: `tasks`, which moves only the writing thread; conductor's helpers (and the shells the
 * tests use) are single-threaded when they write, and a helper then execs, which would leave only
 * that thread in any case, so the moved thread is the whole process. The kernel moves a writer's
 * own thread without the global threadgroup lock that every cgroup.procs write takes, and taking
 * that lock waits out an RCU grace period: 5-13 ms per run or exec here, 0.03 ms for `tasks`.
 *
 * @example
 * joinFile('/sys/fs/cgroup/pids/conductor/a1b2c3', 1); // '/sys/fs/cgroup/pids/conductor/a1b2c3/tasks'
 * joinFile('/sys/fs/cgroup/conductor/a1b2c3', 2); // '/sys/fs/cgroup/conductor/a1b2c3/cgroup.procs'
 */
export function joinFile(dir: string, version: CgroupLayout['version']): string {
  return `${dir}/${version === 1 ? 'tasks' : 'cgroup.procs'}`;
}

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
  /** The files the container's processes write "0" to, to join its cgroups (see joinFile). */
  procs: string[];
  /** v2 cgroup.subtree_control writes on the parents, root first, made before creating `dirs`. */
  enable: CgroupWrite[];
  devices: DevicePlan;
}

const FLAGS: Record<Controller, string> = { memory: '--memory', cpu: '--cpus', pids: '--pids-limit' };

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
 * const layout = { version: 2, root: '/sys/fs/cgroup', controllers: ['memory', 'cpu', 'pids'] };
 * planCgroups(layout, 'a1b2c3', { memory: 268435456 });
 * // { dirs: ['/sys/fs/cgroup/conductor/a1b2c3'],
 * //   enable: [{ file: '/sys/fs/cgroup/cgroup.subtree_control', value: '+memory +cpu +pids' }, ...conductor/],
 * //   writes: [{ file: '.../memory.max', value: '268435456' },
 * //            { file: '.../memory.swap.max', value: '0', optional: true }],
 * //   procs: ['/sys/fs/cgroup/conductor/a1b2c3/cgroup.procs'],
 * //   devices: { kind: 'bpf', cgroup: '/sys/fs/cgroup/conductor/a1b2c3',
 * //              rules: ['c *:* m', 'b *:* m', 'c 1:3 rwm', ...] } }
 */
export function planCgroups(
  layout: CgroupLayout,
  id: string,
  limits: ResourceLimits,
  opts: CgroupPlanOptions = {},
): CgroupPlan {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(id)) {
    throw new ConductorError('INTERNAL', `invalid cgroup id ${JSON.stringify(id)}`);
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
    const enable = enabled.length
      ? [`${layout.root}`, parent].map((p) => ({ file: `${p}/cgroup.subtree_control`, value }))
      : [];
    if (limits.memory !== undefined) {
      w(`${dir}/memory.max`, limits.memory);
      w(`${dir}/memory.swap.max`, 0, true);
    }
    if (limits.cpus !== undefined) w(`${dir}/cpu.max`, `${quota} ${CPU_PERIOD}`);
    if (limits.pids !== undefined) w(`${dir}/pids.max`, limits.pids);
    const devices: DevicePlan = opts.allDevices
      ? { kind: 'none', reason: 'privileged' }
      : { kind: 'bpf', cgroup: dir, rules };
    return { dirs: [dir], writes, procs: [joinFile(dir, 2)], enable, devices };
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
  return { dirs, writes, procs: dirs.map((d) => joinFile(d, 1)), enable: [], devices };
}

/**
 * Every directory a container's cgroups can have on this layout, whatever its limits were: what
 * `stop` checks for a run killed before it recorded the ones it made.
 * @example
 * cgroupDirsFor({ version: 2, root: '/sys/fs/cgroup', controllers: [] }, 'a1b2') // ['/sys/fs/cgroup/conductor/a1b2']
 */
export function cgroupDirsFor(layout: CgroupLayout, id: string): string[] {
  if (layout.version === 2) return [`${layout.root}/${PARENT}/${id}`];
  const mounts = ([...CONTROLLERS, 'devices'] as const)
    .map((c) => layout.controllers[c])
    .filter((m): m is string => m !== undefined);
  return [...new Set(mounts.map((m) => `${m}/${PARENT}/${id}`))];
}
