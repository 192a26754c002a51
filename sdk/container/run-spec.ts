/**
 * What run and its dry run share: the image checks made before a record names its layers, and
 * the launch spec of a container from its record.
 */
import { existsSync } from 'node:fs';
import { INIT_HELPER, MONITOR, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { baseRootfs } from '../image/base.ts';
import { layerDir, lowerdirs } from '../image/layers.ts';
import type { LaunchSpec } from '../launch/launch-plan.ts';
import { mountArgs } from '../launch/mount-plan.ts';
import type { ContainerPaths } from '../state/containers.ts';
import { requireImage } from '../state/images.ts';
import type { ContainerRecord, ImageInfo } from '../types.ts';
import { planMounts } from '../volume/resolve-mounts.ts';
import { healthProbeArgv } from './health-probe.ts';

/** CONTAINER_EXISTS unless the name is free (its directory absent). */
export function requireNameFree(cp: ContainerPaths, name: string): void {
  if (existsSync(cp.dir)) {
    throw new ConductorError('CONTAINER_EXISTS', `container "${name}" already exists`, {
      hint: `stop it first: conductor stop ${name}`,
    });
  }
}

/** The image, its base rootfs and every layer present, or IMAGE_NOT_FOUND saying which is missing. */
export function requireRunnable(paths: Paths, image: string): { img: ImageInfo; base: string } {
  const img = requireImage(paths, image);
  const base = baseRootfs(paths, img.base);
  if (!existsSync(base))
    throw new ConductorError('IMAGE_NOT_FOUND', `the base of image "${image}" is missing from the cache`, {
      hint: `rebuild it: conductor build ${image}`,
    });
  const missing = img.layers.find((id) => !existsSync(layerDir(paths, id)));
  if (missing)
    throw new ConductorError('IMAGE_NOT_FOUND', `layer ${missing.slice(0, 12)} of image "${image}" is missing`, {
      hint: `rebuild it: conductor build ${image}`,
    });
  return { img, base };
}

/** The fds the launch hands over: the cgroups' join files (joinFile) from 4, then the seccomp filter. */
export interface LaunchFds {
  cgroups: number;
  seccomp: boolean;
}

/** A container's launch, from its record (on the image's base and layers) and the fds handed over. */
export function containerSpec(
  paths: Paths,
  cp: ContainerPaths,
  rec: ContainerRecord,
  base: string,
  fds: LaunchFds,
  how: { launchTag: string; waitForGo: boolean },
): LaunchSpec {
  return {
    lowerdirs: lowerdirs(paths, base, rec.layers ?? []),
    upper: cp.upper,
    work: cp.work,
    rootfs: cp.rootfs,
    hosts: cp.hosts,
    hostnameFile: cp.hostname,
    resolv: cp.resolv,
    hostname: rec.hostname,
    network: 'none',
    env: rec.env,
    workdir: rec.workdir,
    user: rec.user,
    command: rec.command,
    initHelper: INIT_HELPER,
    monitor: MONITOR,
    security: rec.security,
    cgroupFds: Array.from({ length: fds.cgroups }, (_, i) => 4 + i),
    seccompFd: fds.seccomp ? 4 + fds.cgroups : undefined,
    readyFd: 3,
    cgroupNamespace: existsSync('/proc/self/ns/cgroup'),
    waitForGo: how.waitForGo,
    launchTag: how.launchTag,
    mounts: mountArgs(planMounts(paths, rec.mounts ?? []), Boolean(rec.readOnly)),
    restart: rec.detached ? rec.restart : undefined,
    // The monitor, not the CLI, runs the check: every interval, as its own `healthcheck run`.
    health: rec.healthcheck
      ? { intervalMs: rec.healthcheck.intervalMs, probe: healthProbeArgv(paths, rec.name) }
      : undefined,
  };
}
