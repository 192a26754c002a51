/**
 * `run --dry-run`: the facts run would act on (the image and its layers, the volumes, the host's
 * cgroup layout, the other containers' addresses and the firewall), read and checked as run
 * checks them, then planned by run-plan.ts. Nothing is taken or made: no lock, no record, no
 * cgroup, no process.
 */
import { LOG_MAX_BYTES, type Paths } from '../config.ts';
import { attachedLaunch, detachedLaunch, hostsFile } from '../launch/launch-plan.ts';
import { detectLayout, cgroupId } from '../limits/cgroupfs.ts';
import { planCgroups } from '../limits/plan.ts';
import { addNetwork } from '../network/add-network.ts';
import { containerFilterPath } from '../security/seccomp/filter.ts';
import { containerPaths } from '../state/containers.ts';
import { volumeDir, volumeExists } from '../state/volumes.ts';
import type { ContainerRecord, ImageInfo } from '../types.ts';
import { planMounts } from '../volume/resolve-mounts.ts';
import type { RunOptions } from './run.ts';
import { planRun } from './run-plan.ts';
import { containerSpec, requireNameFree, requireRunnable } from './run-spec.ts';

/** Stands for the init's host PID, not known before it starts. */
const PID_WORD = 'INIT_PID';

/**
 * The record run would write and the plan of every host change it would make.
 * @example const { plan } = await planRunDry(paths, 'web', draft, opts, filter, fromImage);
 */
export async function planRunDry(
  paths: Paths,
  image: string,
  draft: Omit<ContainerRecord, 'layers' | 'base' | 'command' | 'env' | 'workdir'>,
  opts: RunOptions,
  filter: string | null,
  fromImage: (img: ImageInfo) => Pick<ContainerRecord, 'command' | 'env' | 'workdir' | 'user' | 'stopSignal'>,
): Promise<{ record: ContainerRecord; plan: string[] }> {
  const name = draft.name;
  const cp = containerPaths(paths, name);
  requireNameFree(cp, name);
  const { img, base } = requireRunnable(paths, image);
  const rec: ContainerRecord = { ...draft, ...fromImage(img), layers: img.layers, base: img.base };
  const cgroups = planCgroups(detectLayout(), cgroupId(paths.root, name), rec.limits, {
    allDevices: rec.security.privileged,
  });
  rec.cgroups = cgroups.dirs;
  const tag = rec.creating?.launchTag ?? '';
  const spec = containerSpec(
    paths,
    cp,
    rec,
    base,
    { cgroups: cgroups.procs.length, seccomp: filter !== null },
    { launchTag: tag, waitForGo: Boolean(opts.network) },
  );
  const extraFds = cgroups.procs.length + (filter ? 1 : 0);
  const tty = Boolean(opts.tty);
  const argv = opts.detach
    ? detachedLaunch(spec, { log: cp.log, exitFile: cp.exitCode, logMaxBytes: LOG_MAX_BYTES, extraFds, tty })
    : attachedLaunch(spec, extraFds, tty, Boolean(opts.interactive)).argv;
  const network = opts.network
    ? (await addNetwork(name, { ...opts.network, root: opts.root, atStart: { pid: PID_WORD } })).plan!
    : null;
  const fds = [
    'the launch protocol (a socket pair)',
    ...cgroups.procs,
    ...(filter ? [containerFilterPath(cp.dir)] : []),
    ...(tty ? ['the console socket'] : []),
  ];
  const volumes = (rec.mounts ?? []).flatMap((m) => (m.type === 'volume' ? [m.source!] : []));
  const plan = planRun({
    name,
    newVolumes: [...new Set(volumes)]
      .filter((v) => !volumeExists(paths, v))
      .map((v) => ({ name: v, dir: volumeDir(paths, v) })),
    dir: cp.dir,
    record: cp.state,
    dirs: [cp.upper, cp.work, cp.rootfs],
    files: [
      { file: cp.hosts, content: hostsFile(rec.hostname) },
      { file: cp.hostname, content: `${rec.hostname}\n` },
      { file: cp.resolv, content: '' },
      { file: cp.log, content: '' },
    ],
    filter: filter ? { from: filter, to: containerFilterPath(cp.dir) } : null,
    cgroups,
    overlay: { lowerdirs: spec.lowerdirs, upper: cp.upper, work: cp.work, target: cp.rootfs },
    binds: [
      { src: cp.hosts, dst: 'etc/hosts' },
      { src: cp.hostname, dst: 'etc/hostname' },
      { src: cp.resolv, dst: 'etc/resolv.conf' },
    ],
    mounts: planMounts(paths, rec.mounts ?? []),
    readOnly: Boolean(rec.readOnly),
    argv,
    fds,
    network,
    pidWord: PID_WORD,
    detach: Boolean(opts.detach),
    autoRemove: rec.autoRemove,
  });
  return { record: rec, plan };
}
