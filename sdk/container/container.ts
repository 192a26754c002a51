/** Public container verbs: run, exec, ps, stop, inspect, logs, and the handle `run` returns. */
import type { Container } from './container-handle.ts';
import { restartText } from './restart-policy.ts';
import { restartsFromFile } from '../state/monitor-files.ts';
import { resolvePaths, type CommonOptions } from '../config.ts';
import { oomKilled } from '../limits/cgroup-read.ts';
import { ConductorError } from '../errors.ts';
import { execInContainer, type ExecOptions } from './exec.ts';
import { execStream } from './exec-stream.ts';
import { requireRoot } from '../host/preflight.ts';
import { validateName } from '../names.ts';
import { parseStopSignal } from '../image/stop-signal.ts';
import { runContainer, type RunOptions } from './run.ts';
import { containerPaths, infoOf, listRecords, requireRecord } from '../state/containers.ts';
import { logs, logStream } from '../logs/logs.ts';
import { waitFor, waitForHealthy, waitForHttp, waitForLog, waitForPort, type WaitStrategy } from './wait/index.ts';
import { containerExists, removeContainer, type RemoveOptions, type StopResult } from './stop.ts';
import type {
  ContainerInfo,
  ContainerRecord,
  ExecResult,
  HealthcheckConfig,
  HealthState,
  HealthStatus,
  Mount,
} from '../types.ts';
import { copyFrom, copyTo } from '../volume/copy.ts';
import { volumeData } from '../state/volumes.ts';
import { planRemoval } from './stop-dry-run.ts';
import { healthNow, runningDetails } from './health-probe.ts';

export type { Container } from './container-handle.ts';

function handle(rec: ContainerRecord, root: string | undefined, extra: Partial<Container>): Container {
  const common = { root };
  return {
    name: rec.name,
    pid: rec.init?.pid ?? null,
    ip: rec.network?.ip ?? null,
    exitCode: null,
    oomKilled: false,
    ...extra,
    status: () => inspect(rec.name, common),
    exec: (command, opts) => exec(rec.name, command, { ...common, ...opts }),
    execStream: (command, opts) => execStream(rec.name, command, { ...opts, ...common }),
    stop: (opts) => stop(rec.name, { ...common, ...opts }),
    logs: (opts) => logs(rec.name, { ...opts, ...common }),
    logStream: () => logStream(rec.name, common),
    waitForLog: (pattern, opts) =>
      waitForLog(rec.name, pattern, { ...(typeof opts === 'number' ? { timeoutMs: opts } : opts), ...common }),
    waitForPort: (port, opts) => waitForPort(rec.name, port, { ...opts, ...common }),
    waitForHttp: (opts) => waitForHttp(rec.name, { ...opts, ...common }),
    waitFor: (strategy, opts) => waitFor(rec.name, strategy, { ...opts, ...common }),
    waitForHealthy: (opts) => waitForHealthy(rec.name, { ...opts, ...common }),
    copyTo: (src, dst, opts) => copyTo(rec.name, src, dst, { ...common, ...opts }),
    copyFrom: (src, dst, opts) => copyFrom(rec.name, src, dst, { ...common, ...opts }),
    [Symbol.asyncDispose]: async () => {
      await stop(rec.name, { ...common, ignoreMissing: true });
    },
  };
}

/**
 * `run`'s options: those of the container, and what "started" means.
 * @example const opts: ContainerRunOptions = { detach: true, network: {}, wait: Wait.forPort(5432) };
 */
export interface ContainerRunOptions extends RunOptions {
  /**
   * Detached runs: resolve only once this holds (e.g. `Wait.forHttp({ port: 8080 })`); on failure
   * the container is removed.
   */
  wait?: WaitStrategy;
}

/**
 * Start a container from an image. Detached runs return once the command is running.
 * @example
 * const c = await run('web', 'web1', { detach: true, command: ['sleep', 'infinity'], network: { internet: true } });
 * console.log(c.ip, (await c.exec(['hostname'])).stdout);
 */
export async function run(image: string, name: string, opts: ContainerRunOptions = {}): Promise<Container> {
  const { wait, ...runOpts } = opts;
  const r = await runContainer(image, name, runOpts);
  if (r.plan) return handle(r.record, opts.root, { plan: r.plan });
  if (wait) {
    try {
      await waitFor(name, wait, { root: opts.root });
    } catch (e) {
      await stop(name, { root: opts.root, timeoutSeconds: 0, ignoreMissing: true }).catch(() => {});
      throw e;
    }
  }
  return handle(r.record, opts.root, {
    exitCode: r.exitCode ?? null,
    oomKilled: Boolean(r.oomKilled),
    stdout: r.stdout,
    stderr: r.stderr,
  });
}

/**
 * Run a command inside a running container; resolves whatever its exit code.
 * @example const { exitCode, stdout } = await exec('web1', ['cat', '/etc/hostname']);
 */
export async function exec(name: string, command: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return execInContainer(name, command, opts);
}

export interface PsOptions extends CommonOptions {
  /** Include exited containers (default: running only). */
  all?: boolean;
}

/**
 * Containers with their status read from the kernel.
 * @example for (const c of await ps({ all: true })) console.log(c.name, c.status);
 */
export async function ps(opts: PsOptions = {}): Promise<ContainerInfo[]> {
  const paths = resolvePaths(opts.root);
  return listRecords(paths)
    .map((r) => {
      const info = infoOf(paths, r);
      return info.status === 'running' ? { ...info, ...runningDetails(r) } : info;
    })
    .filter((i) => opts.all || i.status === 'running');
}

export interface StopOptions extends CommonOptions {
  /** Seconds between the stop signal and SIGKILL (default 10). */
  timeoutSeconds?: number;
  /** Sent first instead of the container's stop signal (the image's STOPSIGNAL, else SIGTERM): `stop --signal`. */
  signal?: string;
  /** A missing container is not an error. */
  ignoreMissing?: boolean;
  /**
   * Leave a container alone (result `skipped: 'creating'`) while a live `run` is still creating
   * it, instead of waiting for that run to finish: what `stop --all` does.
   */
  leaveCreating?: boolean;
  /** Change nothing: `plan` lists each host change stop would make (see planStop). */
  dryRun?: boolean;
}

/**
 * Stop a container and remove everything it made: processes, network, cgroups, files.
 * @example const { exitCode, killed } = await stop('web1', { timeoutSeconds: 2 });
 */
export async function stop(name: string, opts: StopOptions = {}): Promise<StopResult> {
  return stopWith(name, opts, {});
}

/** stop, with stopMany's shared claim bound and undo batch (RemoveOptions' `limit` and `undo`). */
export async function stopWith(
  name: string,
  opts: StopOptions,
  shared: Pick<RemoveOptions, 'limit' | 'undo'>,
): Promise<StopResult> {
  validateName('container', name);
  requireRoot();
  const paths = resolvePaths(opts.root);
  if (!containerExists(paths, name)) {
    if (opts.ignoreMissing) return { name, exitCode: null, signal: null, killed: false, oomKilled: false };
    throw new ConductorError('CONTAINER_NOT_FOUND', `container "${name}" does not exist`, {
      hint: 'see `conductor ps -a`',
    });
  }
  if (opts.signal !== undefined) parseStopSignal(opts.signal);
  const how = {
    timeoutSeconds: opts.timeoutSeconds ?? 10,
    leaveCreating: opts.leaveCreating,
    signal: opts.signal,
    ...shared,
  };
  if (opts.dryRun) {
    const plan = planRemoval(paths, name, how);
    return {
      name,
      exitCode: null,
      signal: null,
      killed: false,
      oomKilled: false,
      ...(plan ? { plan } : { skipped: 'creating' }),
    };
  }
  return removeContainer(paths, name, how);
}

/**
 * Full record plus live status, for `inspect`. Field names are the documented ones.
 * @example const { ip, mounts, restartCount } = await inspect('web1');
 */
export interface InspectInfo extends ContainerInfo {
  /** `inspect --format health`: the current init's status; null without a healthcheck or when not running. */
  health: HealthStatus | null;
  hostname: string;
  workdir: string;
  env: string[];
  /** The user the command runs as (image USER or run -u); null = root. */
  user: string | null;
  stopSignal: string;
  gateway: string | null;
  hostInterface: string | null;
  peers: string[];
  internet: boolean;
  oomKilled: boolean;
  finishedAt: string | null;
  /** The detached container's log file (what `logs` prints). */
  logPath: string;
  /** Its mounts; `hostPath` is the host directory of a bind or volume. */
  mounts: Array<Mount & { hostPath?: string }>;
  readOnly: boolean;
  /** `--restart` as given (`no` without one). */
  restartPolicy: string;
  /** How often its monitor has started it again. */
  restartCount: number;
  /** The healthcheck the monitor runs (the image's HEALTHCHECK merged with run's --health-*). */
  healthcheck: HealthcheckConfig | null;
  /** Its current init's health: status, failing streak and the last five probes; null without one. */
  healthLog: Omit<HealthState, 'status' | 'init'> | null;
}

/**
 * Everything about one container.
 * @example console.log((await inspect('cs-cont')).ip);
 */
export async function inspect(name: string, opts: CommonOptions = {}): Promise<InspectInfo> {
  validateName('container', name);
  const paths = resolvePaths(opts.root);
  const rec = requireRecord(paths, name);
  const info = infoOf(paths, rec);
  const health = info.status === 'running' ? healthNow(rec) : undefined;
  return {
    ...info,
    ...(info.status === 'running' ? runningDetails(rec) : {}),
    hostname: rec.hostname,
    workdir: rec.workdir,
    env: rec.env,
    user: rec.user ?? null,
    stopSignal: rec.stopSignal ?? 'SIGTERM',
    gateway: rec.network?.gateway ?? null,
    hostInterface: rec.network?.hostInterface ?? null,
    peers: rec.network?.peers ?? [],
    internet: rec.network?.internet ?? false,
    oomKilled: oomKilled(rec.cgroups),
    finishedAt: rec.finishedAt ?? null,
    logPath: containerPaths(paths, name).log,
    mounts: (rec.mounts ?? []).map((m) =>
      m.type === 'tmpfs' ? m : { ...m, hostPath: m.type === 'volume' ? volumeData(paths, m.source!) : m.source! },
    ),
    readOnly: Boolean(rec.readOnly),
    restartPolicy: restartText(rec.restart),
    restartCount: restartsFromFile(containerPaths(paths, name).restarts).count,
    healthcheck: rec.healthcheck ?? null,
    healthLog: health ? { failingStreak: health.failingStreak, log: health.log } : null,
    health: health?.status ?? null,
  };
}
