/**
 * The effects of resource limits: creating and joining a container's cgroups (emptying and removing
 * them is sdk/limits/cgroup-teardown.ts). What to create and write is decided by sdk/limits/plan.ts;
 * this module only touches /proc and cgroupfs, with Node's fs; the v2 device filter is attached by
 * sdk/limits/device-filter.ts.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import type { ResourceLimits } from '../types.ts';
import { ConductorError } from '../errors.ts';
import { shortHash } from '../hash.ts';
import { attachDeviceFilter } from './device-filter.ts';
import { parseDevicesList } from './device-rules.ts';
import { detectLayoutFrom, findCgroup2Mount, type CgroupLayout } from './layout.ts';
import { joinFile, planCgroups, type CgroupWrite, type DevicePlan } from './plan.ts';
import { errno, fsError, readOrNull } from './cgroup-io.ts';

/**
 * Finds the host's cgroup layout from /proc/self/mountinfo and the cgroup2 root's controllers.
 *
 * @example
 * detectLayout();
 * // { version: 1, controllers: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu',
 * //   pids: '/sys/fs/cgroup/pids' } }
 */
export function detectLayout(): CgroupLayout {
  return (layout ??= readLayout());
}
/** Read once per process: a run looked at mountinfo three times (start, teardown twice). */
let layout: CgroupLayout | undefined;

function readLayout(): CgroupLayout {
  const mountinfo = readOrNull('/proc/self/mountinfo');
  if (mountinfo === null) {
    throw new ConductorError('CGROUP_UNAVAILABLE', 'cannot read "/proc/self/mountinfo"', { hint: 'is /proc mounted?' });
  }
  const v2 = findCgroup2Mount(mountinfo);
  return detectLayoutFrom(mountinfo, v2 === null ? null : readOrNull(`${v2}/cgroup.controllers`));
}

/**
 * A short id for a container's cgroup directory, stable for one state root and container name,
 * so two state roots (two users, tests) never share a cgroup. Both inputs are root's own, so a
 * cheap hash does (sdk/hash.ts).
 *
 * @example
 * cgroupId('/var/lib/conductor', 'web'); // '6f3d260b4571'
 */
export function cgroupId(root: string, name: string): string {
  return shortHash(`${root}\0${name}`).slice(0, 12);
}

function writeFile(w: CgroupWrite): boolean {
  if (w.optional && !fs.existsSync(w.file)) return false;
  try {
    fs.writeFileSync(w.file, w.value);
  } catch (e) {
    throw fsError(e, `cannot write ${JSON.stringify(w.value)} to "${w.file}"`);
  }
  return true;
}

/** mkdir a leaf cgroup; a leftover one (a crash between create and remove) is reused only if empty. */
function makeLeaf(dir: string): void {
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.mkdirSync(dir);
    return;
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw fsError(e, `cannot create cgroup "${dir}"`);
  }
  try {
    fs.rmdirSync(dir); // fails with EBUSY while it has processes or child cgroups
    fs.mkdirSync(dir);
  } catch (e) {
    throw new ConductorError('CGROUP_UNAVAILABLE', `cgroup "${dir}" already exists and is in use`, {
      hint: 'stop the container that owns it',
      cause: e,
    });
  }
}

export interface CreatedCgroups {
  dirs: string[];
  /** The files to join through (see joinFile, openProcsFds). */
  procs: string[];
  /** Optional files the kernel does not offer, so not written (no swap accounting). */
  skipped: string[];
  /** How device access is restricted: 'v1' devices cgroup, 'bpf' filter, or 'none'. */
  devices: DevicePlan['kind'];
}

/** The v1 devices cgroup must hold exactly the planned rules, or the container must not start. */
function checkDevicesList(list: string, expect: string[]): void {
  const got = parseDevicesList(readOrNull(list) ?? '');
  if (got.join('\n') !== expect.join('\n')) {
    throw new ConductorError(
      'CGROUP_UNAVAILABLE',
      `the devices cgroup "${path.dirname(list)}" does not hold the planned rules`,
      {
        hint: `it lists ${JSON.stringify(got.join(', '))}; is something else managing it?`,
      },
    );
  }
}

function restrictDevices(devices: DevicePlan): void {
  if (devices.kind === 'v1') checkDevicesList(devices.list, devices.expect);
  else if (devices.kind === 'bpf') attachDeviceFilter(devices.cgroup, devices.rules);
}

/**
 * Creates a container's cgroups, writes its limits and restricts its devices (Docker's default
 * allow list; every device with `allDevices`, for privileged containers). On any failure the
 * directories it made are removed again before the error is thrown; the shared `conductor/`
 * parent and v2 controller enabling are kept (other containers use them).
 *
 * @example
 * const cg = await createCgroups(cgroupId(root, 'web'), { memory: parseMemory('256m'), cpus: 0.5 });
 * // cg.dirs go in the container record; cg.procs are joined through openProcsFds
 */
export async function createCgroups(
  id: string,
  limits: ResourceLimits,
  opts: { layout?: CgroupLayout; allDevices?: boolean } = {},
): Promise<CreatedCgroups> {
  const plan = planCgroups(opts.layout ?? detectLayout(), id, limits, { allDevices: opts.allDevices });
  const made: string[] = [];
  const skipped: string[] = [];
  try {
    for (const e of plan.enable) {
      try {
        fs.mkdirSync(path.dirname(e.file), { recursive: true });
      } catch (err) {
        throw fsError(err, `cannot create cgroup "${path.dirname(e.file)}"`);
      }
      writeFile(e);
    }
    for (const dir of plan.dirs) {
      makeLeaf(dir);
      made.push(dir);
    }
    for (const w of plan.writes) if (!writeFile(w)) skipped.push(w.file);
    restrictDevices(plan.devices);
  } catch (e) {
    for (const dir of made.reverse()) {
      try {
        fs.rmdirSync(dir);
      } catch {
        // Nothing joined it yet, so this only fails if someone else removed it first.
      }
    }
    throw e;
  }
  return { dirs: plan.dirs, procs: plan.procs, skipped, devices: plan.devices.kind };
}

/**
 * The join file (joinFile) of an existing cgroup directory, whose version the directory itself
 * tells: every v1 hierarchy has `tasks`, v2 has none. One stat, where detectLayout reads and
 * parses mountinfo (~0.8 ms of an exec, --cpu-prof).
 *
 * @example
 * joinFileOf('/sys/fs/cgroup/pids/conductor/a1b2c3'); // '/sys/fs/cgroup/pids/conductor/a1b2c3/tasks'
 */
export function joinFileOf(dir: string): string {
  return joinFile(dir, fs.existsSync(`${dir}/tasks`) ? 1 : 2);
}

/**
 * Opens the cgroups' join files (joinFile) for writing, to hand to the container's first process
 * as extra fds: writing "0" to each moves the writer into that cgroup, before it execs anything.
 * Close conductor's copies with closeFds once the child is spawned.
 *
 * @example
 * const fds = openProcsFds(cg.procs);
 * try { spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', ...fds] }); } finally { closeFds(fds); }
 */
export function openProcsFds(procs: string[]): number[] {
  const fds: number[] = [];
  try {
    for (const file of procs) fds.push(fs.openSync(file, fs.constants.O_WRONLY));
  } catch (e) {
    closeFds(fds);
    throw fsError(e, `cannot open "${procs[fds.length]}"`);
  }
  return fds;
}

/**
 * Closes fds from openProcsFds; already closed ones are ignored.
 *
 * @example
 * closeFds(fds);
 */
export function closeFds(fds: number[]): void {
  for (const fd of fds) {
    try {
      fs.closeSync(fd);
    } catch {
      // EBADF: closed already.
    }
  }
}
