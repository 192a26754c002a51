/**
 * Pure planning of a container start: the argv of the monitor that makes the namespaces and becomes
 * the parent of the container's PID 1 (native/monitor.c), and the
 * arguments of the init helper that mounts the root filesystem, pivots into it, drops privileges
 * and execs the command (native/conductor-init.c). No shell anywhere: the user's command is
 * passed as argv, byte for byte.
 */
import { TTY_RELAY } from '../config.ts';
import type { RestartPolicy, SecurityOptions } from '../types.ts';

export interface LaunchSpec {
  /** Read-only layers, top first (overlayfs lowerdir order). */
  lowerdirs: string[];
  upper: string;
  work: string;
  /** Empty directory the overlay is mounted on (inside the new mount namespace only). */
  rootfs: string;
  /**
   * Files bind-mounted over /etc/hosts, /etc/hostname, /etc/resolv.conf (edited in place later);
   * '' = leave the image's.
   */
  hosts: string;
  hostnameFile: string;
  resolv: string;
  hostname: string;
  /** 'none': a new, empty network namespace; 'host': the host's (build RUN steps). */
  network: 'none' | 'host';
  env: string[];
  workdir: string;
  /** `name|uid[:group|gid]`, resolved by the init helper inside the container; absent = root. */
  user?: string;
  command: string[];
  initHelper: string;
  security: SecurityOptions;
  /** File descriptors (in the started process) opened on the cgroups' join files (joinFile). */
  cgroupFds: number[];
  /** Fd (in the started process) on the compiled seccomp filter; absent = unconfined. */
  seccompFd?: number;
  /** The fd on which the helper reports the init's host PID, then its readiness. */
  readyFd: number;
  /** New cgroup namespace where the kernel has one (made by the helper, after joining the cgroups). */
  cgroupNamespace: boolean;
  /** Hold the command until the caller writes a byte to the ready fd (network wiring first). */
  waitForGo: boolean;
  /** Kill the container when its caller dies (set by launchAttached). */
  diesWithCaller?: boolean;
  /** Detached: where the monitor records the exit code and copies the output (set by launchDetached). */
  exitFile?: string;
  log?: { file: string; maxBytes: number };
  monitor: string;
  /**
   * -t: the fd (in the init helper) of the unix socket over which it sends the master of the pty it
   * makes inside the container. Attached, the relay (planTtyRelay) owns the other end; detached
   * (with `log`), the monitor makes the pair and copies the pty into the log.
   */
  consoleSocket?: number;
  /** The helper's --mount/--read-only arguments (mount-plan.ts), after the overlay's. */
  mounts?: string[];
  /** Detached only: the monitor starts the container again after it exits (`run --restart`). */
  restart?: RestartPolicy;
  /** Detached only: the argv the monitor runs every `intervalMs` while the command runs. */
  health?: { intervalMs: number; probe: string[] };
  /** Put in the launch's environment as CONDUCTOR_LAUNCH (see CreatingMark): not the container's. */
  launchTag?: string;
}

export function lowerdirOption(lowerdirs: string[]): string {
  return lowerdirs.join(':');
}

/** Arguments for native/conductor-init: everything after the mounts. */
export function initArgs(spec: LaunchSpec, mode: 'run' | 'exec'): string[] {
  const a: string[] = [spec.initHelper];
  for (const fd of spec.cgroupFds) a.push('--cgroup-fd', String(fd));
  if (mode === 'run') {
    a.push('--hostname', spec.hostname, '--rootfs', spec.rootfs, '--mount-proc', '--mkdir-workdir');
    a.push(
      '--overlay-lower',
      lowerdirOption(spec.lowerdirs),
      '--overlay-upper',
      spec.upper,
      '--overlay-work',
      spec.work,
    );
    const binds: Array<[string, string]> = [
      [spec.hosts, 'etc/hosts'],
      [spec.hostnameFile, 'etc/hostname'],
      [spec.resolv, 'etc/resolv.conf'],
    ];
    for (const [src, dst] of binds) if (src) a.push('--bind-file', `${src}:${dst}`);
    a.push(...(spec.mounts ?? []));
  }
  if (mode === 'run' && spec.diesWithCaller) a.push('--pdeathsig');
  // Made after joining the cgroups, so the container sees them as "/"; exec enters it instead.
  if (mode === 'run' && spec.cgroupNamespace) a.push('--cgroupns');
  // Only a network namespace of the container's own: never the host's (build RUN steps).
  if (mode === 'run' && spec.network === 'none') a.push('--unprivileged-ping');
  a.push('--workdir', spec.workdir, '--ready-fd', String(spec.readyFd));
  if (spec.waitForGo) a.push('--wait-fd', String(spec.readyFd));
  if (spec.consoleSocket !== undefined) a.push('--console-socket', String(spec.consoleSocket));
  for (const e of spec.env) a.push('--env', e);
  if (spec.user !== undefined) a.push('--user', spec.user);
  a.push(...securityArgs(spec.security));
  if (spec.seccompFd !== undefined) a.push('--seccomp-fd', String(spec.seccompFd));
  a.push('--', ...spec.command);
  return a;
}

export function securityArgs(sec: SecurityOptions): string[] {
  if (sec.privileged) return ['--privileged'];
  const a: string[] = [];
  for (const c of sec.capAdd) a.push('--cap-add', c);
  for (const c of sec.capDrop) a.push('--cap-drop', c);
  return a;
}

/**
 * The full argv: monitor → init helper → command. The monitor makes the uts, ipc and (unless the
 * host's) net namespaces itself, and forks the helper into a new PID namespace at each start; the
 * helper makes the mount namespace, so the monitor keeps the host's root, and the cgroup namespace
 * once it has joined the container's cgroups (see the helper). Spawn it with an empty environment.
 * @example planLaunch(spec)[0]; // MONITOR
 */
export function planLaunch(spec: LaunchSpec): string[] {
  const ns = ['uts', 'ipc', ...(spec.network === 'none' ? ['net'] : []), 'pid'].join(',');
  const monitor = [spec.monitor, '--ns', ns, '--ready-fd', String(spec.readyFd), '--pid-file', `${spec.rootfs}.pid`];
  // Dying with the caller takes two links: the monitor gets SIGKILL when the caller dies, and the
  // init when the monitor dies (the helper's --pdeathsig).
  if (spec.diesWithCaller) monitor.push('--pdeathsig');
  if (spec.exitFile) monitor.push('--exit-file', spec.exitFile);
  if (spec.log) monitor.push('--log', spec.log.file, '--log-max', String(spec.log.maxBytes));
  if (spec.log && spec.consoleSocket !== undefined) monitor.push('--console-socket', String(spec.consoleSocket));
  if (spec.restart) {
    monitor.push('--restart', spec.restart.policy, '--restart-file', `${spec.rootfs}.restarts`);
    if (spec.restart.maxRetries) monitor.push('--restart-max', String(spec.restart.maxRetries));
  }
  if (spec.health) {
    monitor.push('--health-interval-ms', String(spec.health.intervalMs));
    for (const a of spec.health.probe) monitor.push('--health-arg', a);
  }
  return [...monitor, '--', ...initArgs(spec, 'run')];
}

/**
 * Attached -t: the relay (native/conductor-tty.c) runs the launch argv with the console socket at
 * `consoleFd`, receives the pty master and joins it to the caller's terminal; `stdin`: also relay
 * the caller's input (-i), with the caller's terminal in raw mode.
 */
export function planTtyRelay(relay: string, consoleFd: number, stdin: boolean, argv: string[]): string[] {
  return [relay, '--console-fd', String(consoleFd), ...(stdin ? ['--stdin'] : []), '--', ...argv];
}

/**
 * An attached launch (it dies with its caller): with `tty`, under the relay, the console socket
 * taking the first fd after the launch protocol's (3) and the `extraFds` handed over from 4.
 * @example attachedLaunch(spec, 1, false, false).argv // [MONITOR, '--ns', 'uts,ipc,net,pid', ...]
 */
export function attachedLaunch(
  spec: LaunchSpec,
  extraFds: number,
  tty: boolean,
  relayStdin: boolean,
): { argv: string[]; consoleFd?: number } {
  const consoleFd = tty ? 4 + extraFds : undefined;
  const launch = planLaunch({ ...spec, diesWithCaller: true, consoleSocket: consoleFd });
  if (consoleFd === undefined) return { argv: launch };
  return { argv: planTtyRelay(TTY_RELAY, consoleFd, relayStdin, launch), consoleFd };
}

/**
 * A detached launch: the monitor records the exit code and copies the output (a pty's, with `tty`) into
 * the capped log.
 */
export function detachedLaunch(
  spec: LaunchSpec,
  d: { log: string; exitFile: string; logMaxBytes: number; extraFds: number; tty: boolean },
): string[] {
  return planLaunch({
    ...spec,
    exitFile: d.exitFile,
    log: { file: d.log, maxBytes: d.logMaxBytes },
    consoleSocket: d.tty ? 4 + d.extraFds : undefined,
  });
}

/**
 * Default environment of a container process, Docker's: PATH, HOSTNAME, HOME (TERM with a tty).
 * `home: false` (a USER is set): no HOME default, the init helper takes it from the image's passwd.
 */
export function containerEnv(hostname: string, tty: boolean, home = true): string[] {
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${hostname}`];
  if (home) env.push('HOME=/root');
  if (tty) env.push('TERM=xterm');
  return env;
}

/**
 * `-e K` as docker's CLI reads it: a bare K takes the caller's value, and stays bare (so mergeEnv
 * unsets it) when the caller has none.
 * @example withCallerValues(['A=1', 'HOME', 'NOPE'], { HOME: '/root' }); // ['A=1', 'HOME=/root', 'NOPE']
 */
export function withCallerValues(env: readonly string[], caller: NodeJS.ProcessEnv): string[] {
  return env.map((kv) => (kv.includes('=') || caller[kv] === undefined ? kv : `${kv}=${caller[kv]}`));
}

export function hostsFile(hostname: string): string {
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`;
}
