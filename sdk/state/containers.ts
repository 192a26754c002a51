/** Container records on disk: one directory and one state.json per container, re-validated on read. */
import { randomHex } from '../host/random.ts';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { readJson, removeDeadOwners, writeJson } from './files.ts';
import { withLock } from './lock.ts';
import { upgradeRecord } from './record-version.ts';
import { isAlive } from '../host/proc.ts';
import { initFromPidFile } from './monitor-files.ts';
import type { ContainerInfo, ContainerRecord, ContainerStatus } from '../types.ts';

/** Every file a container owns, derived from its name. */
export interface ContainerPaths {
  dir: string;
  state: string;
  upper: string;
  work: string;
  rootfs: string;
  hosts: string;
  hostname: string;
  resolv: string;
  log: string;
  exitCode: string;
  /** The monitor's: the current init ("PID STARTTIME"), and the restarts so far. */
  pidFile: string;
  restarts: string;
}

export function containerPaths(paths: Paths, name: string): ContainerPaths {
  // Plain concatenation: paths.containers is resolved, a name is one path component, and ps builds
  // this for every container it lists (path.join's normalising was ~5 ms of ps at 200 containers).
  const dir = `${paths.containers}/${name}`;
  return {
    dir,
    state: `${dir}/state.json`,
    upper: `${dir}/upper`,
    work: `${dir}/work`,
    rootfs: `${dir}/rootfs`,
    hosts: `${dir}/hosts`,
    hostname: `${dir}/hostname`,
    resolv: `${dir}/resolv.conf`,
    log: `${dir}/log`,
    exitCode: `${dir}/exitcode`,
    pidFile: `${dir}/rootfs.pid`,
    restarts: `${dir}/rootfs.restarts`,
  };
}

/** A container's record, upgraded to the current format; UNSUPPORTED_RECORD if it is of an unknown one. */
export function loadRecord(paths: Paths, name: string): ContainerRecord | null {
  const raw = readJson<unknown>(containerPaths(paths, name).state);
  return raw === null ? null : withCurrentInit(paths, upgradeRecord(raw, `container "${name}"`));
}

/** A monitor that restarts its container starts a new init each time: its pid file names the current one. */
function withCurrentInit(paths: Paths, rec: ContainerRecord): ContainerRecord {
  if (!rec.restart || !rec.init) return rec;
  const now = initFromPidFile(containerPaths(paths, rec.name).pidFile);
  return now && now.pid !== rec.init.pid ? { ...rec, init: now } : rec;
}

export function requireRecord(paths: Paths, name: string): ContainerRecord {
  const rec = loadRecord(paths, name);
  if (!rec)
    throw new ConductorError('CONTAINER_NOT_FOUND', `container "${name}" does not exist`, {
      hint: 'see `conductor ps -a`',
    });
  return rec;
}

/** Never recreates a removed container's directory: a late write fails instead. */
export function saveRecord(paths: Paths, rec: ContainerRecord): void {
  writeJson(containerPaths(paths, rec.name).state, rec, { mkdir: false });
}

/**
 * Make a container's directory with its record already inside (built aside, then renamed into
 * place), so no reader ever sees a container directory without a record. Call it under the
 * `names` lock, having checked the name is free.
 */
export function createRecordDir(paths: Paths, rec: ContainerRecord): void {
  mkdirSync(paths.containers, { recursive: true, mode: 0o700 });
  removeDeadOwners(paths.containers, /^\.new-(\d+)-[0-9a-f]+$/);
  const aside = path.join(paths.containers, `.new-${process.pid}-${randomHex(4)}`);
  mkdirSync(aside, { mode: 0o700 });
  try {
    writeJson(path.join(aside, 'state.json'), rec, { mkdir: false });
    renameSync(aside, containerPaths(paths, rec.name).dir);
  } catch (e) {
    rmSync(aside, { recursive: true, force: true });
    throw e;
  }
}

/** A `run` is still making this container, and is alive to finish it. */
export function beingCreated(rec: ContainerRecord | null): boolean {
  return Boolean(rec?.creating && isAlive(rec.creating.by));
}

/** Names of every container directory, including half-created ones without a record. */
export function listContainerNames(paths: Paths): string[] {
  try {
    return readdirSync(paths.containers)
      .filter((n) => !n.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

export function listRecords(paths: Paths): ContainerRecord[] {
  return listContainerNames(paths)
    .map((n) => loadRecord(paths, n))
    .filter((r): r is ContainerRecord => r !== null);
}

/** The exit code the monitor (or the attached CLI) recorded, if the container has ended. */
export function recordedExitCode(paths: Paths, rec: ContainerRecord): number | null {
  if (rec.exitCode !== undefined) return rec.exitCode;
  try {
    const s = readFileSync(containerPaths(paths, rec.name).exitCode, 'utf8').trim();
    return s === '' ? null : Number(s);
  } catch {
    return null;
  }
}

/** Status from the kernel, never from disk: a gone or reused PID is exited. */
export function statusOf(paths: Paths, rec: ContainerRecord): ContainerStatus {
  if (isAlive(rec.init)) return 'running';
  if (beingCreated(rec)) return 'created';
  const cp = containerPaths(paths, rec.name);
  // A monitor that has not recorded an exit code is still at work on this container.
  const monitored = isAlive(rec.monitor) && !existsSync(cp.exitCode);
  if (!monitored) return 'exited';
  if (!rec.init) return 'created';
  if (rec.restart && existsSync(cp.restarts)) return 'restarting';
  // Its init just ended and the exit code is on its way: running until then, as Docker says until
  // containerd's exit event, so that `exited` always comes with its code. Only for the init the
  // monitor started last: a record naming another (stale, reused) PID is not this container's.
  const last = initFromPidFile(cp.pidFile);
  return last?.pid === rec.init.pid && last.startTime === rec.init.startTime ? 'running' : 'exited';
}

export function infoOf(paths: Paths, rec: ContainerRecord): ContainerInfo {
  const status = statusOf(paths, rec);
  return {
    name: rec.name,
    image: rec.image,
    status,
    pid: status === 'running' ? rec.init!.pid : null,
    exitCode: status === 'exited' ? recordedExitCode(paths, rec) : null,
    ip: rec.network?.ip ?? null,
    ports: rec.network?.ports ?? [],
    command: rec.command,
    createdAt: rec.createdAt,
    limits: rec.limits,
  };
}

export function containerLock(name: string): string {
  return `container-${name}`;
}

/**
 * Read-modify-write a record under its container's lock. A container that stop has begun to
 * remove is gone for every other writer (CONTAINER_NOT_FOUND): what they would add (an undo step,
 * a network) could no longer be undone by anyone.
 */
export async function updateRecord(
  paths: Paths,
  name: string,
  fn: (rec: ContainerRecord) => ContainerRecord | Promise<ContainerRecord>,
): Promise<ContainerRecord> {
  return withLock(paths.locks, containerLock(name), async () => {
    const rec = requireRecord(paths, name);
    if (rec.stopping) throw new ConductorError('CONTAINER_NOT_FOUND', `container "${name}" is being removed`);
    const next = await fn(rec);
    saveRecord(paths, next);
    return next;
  });
}

/** Require a running container; the error every verb that needs one gives. */
export function requireRunning(paths: Paths, name: string): ContainerRecord {
  const rec = requireRecord(paths, name);
  if (statusOf(paths, rec) !== 'running') {
    throw new ConductorError('CONTAINER_NOT_RUNNING', `container "${name}" is not running`);
  }
  return rec;
}
