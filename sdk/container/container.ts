/** Public container verbs: run, exec, ps, stop, inspect, logs, and the handle `run` returns. */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { LOG_MAX_BYTES, resolvePaths, type CommonOptions } from '../config.ts';
import { oomKilled } from '../limits/cgroupfs.ts';
import { ConductorError } from '../errors.ts';
import { execInContainer, type ExecOptions } from './exec.ts';
import { requireRoot } from '../host/preflight.ts';
import { validateName } from '../names.ts';
import { runContainer, type RunOptions } from './run.ts';
import { containerPaths, infoOf, listRecords, requireRecord } from '../state/containers.ts';
import { containerExists, removeContainer, type StopResult } from './stop.ts';
import { planRemoval } from './stop-dry-run.ts';
import type { ContainerInfo, ContainerRecord, ExecResult } from '../types.ts';

/** A container started by `run`. */
export interface Container {
  name: string;
  /** The container's PID 1 on the host (null if it already ended). */
  pid: number | null;
  /** Its address once a network was added at start. */
  ip: string | null;
  /** Attached runs: the command's exit code. */
  exitCode: number | null;
  oomKilled: boolean;
  stdout?: string;
  stderr?: string;
  status(): Promise<ContainerInfo>;
  exec(command: string[], opts?: ExecOptions): Promise<ExecResult>;
  stop(opts?: StopOptions): Promise<StopResult>;
  logs(): Promise<string>;
  /** The log as a stream, read as it is consumed. */
  logStream(): Readable;
  /** Resolve when the log matches; reject after timeoutMs (default 10 s). */
  waitForLog(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
}

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
    stop: (opts) => stop(rec.name, { ...common, ...opts }),
    logs: () => logs(rec.name, common),
    logStream: () => logStream(rec.name, common),
    waitForLog: (pattern, timeoutMs) => waitForLog(rec.name, pattern, { ...common, timeoutMs }),
  };
}

/**
 * Start a container from an image. Detached runs return once the command is running.
 * @example
 * const c = await run('web', 'web1', { detach: true, command: ['sleep', 'infinity'], network: { internet: true } });
 * console.log(c.ip, (await c.exec(['hostname'])).stdout);
 */
export async function run(image: string, name: string, opts: RunOptions = {}): Promise<Container> {
  const r = await runContainer(image, name, opts);
  return handle(r.record, opts.root, { exitCode: r.exitCode ?? null, oomKilled: Boolean(r.oomKilled), stdout: r.stdout, stderr: r.stderr });
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
    .map((r) => infoOf(paths, r))
    .filter((i) => opts.all || i.status === 'running');
}

export interface StopOptions extends CommonOptions {
  /** Seconds between SIGTERM and SIGKILL (default 10). */
  timeoutSeconds?: number;
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
  validateName('container', name);
  requireRoot();
  const paths = resolvePaths(opts.root);
  if (!containerExists(paths, name)) {
    if (opts.ignoreMissing) return { name, exitCode: null, signal: null, killed: false, oomKilled: false };
    throw new ConductorError('CONTAINER_NOT_FOUND', `container "${name}" does not exist`, { hint: 'see `conductor ps -a`' });
  }
  const how = { timeoutSeconds: opts.timeoutSeconds ?? 10, leaveCreating: opts.leaveCreating };
  if (opts.dryRun) {
    const plan = planRemoval(paths, name, how);
    return { name, exitCode: null, signal: null, killed: false, oomKilled: false, ...(plan ? { plan } : { skipped: 'creating' }) };
  }
  return removeContainer(paths, name, how);
}

/** Full record plus live status, for `inspect`. Field names are the documented ones. */
export interface InspectInfo extends ContainerInfo {
  hostname: string;
  workdir: string;
  env: string[];
  gateway: string | null;
  hostInterface: string | null;
  peers: string[];
  internet: boolean;
  oomKilled: boolean;
  finishedAt: string | null;
  /** The detached container's log file (what `logs` prints). */
  logPath: string;
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
  return {
    ...info,
    hostname: rec.hostname,
    workdir: rec.workdir,
    env: rec.env,
    gateway: rec.network?.gateway ?? null,
    hostInterface: rec.network?.hostInterface ?? null,
    peers: rec.network?.peers ?? [],
    internet: rec.network?.internet ?? false,
    oomKilled: oomKilled(rec.cgroups),
    finishedAt: rec.finishedAt ?? null,
    logPath: containerPaths(paths, name).log,
  };
}

/**
 * The container's output so far (detached containers; capped at 10 MiB), as one string. Reads at
 * most the cap, whatever the file holds.
 * @example console.log(await logs('es-cont'));
 */
export async function logs(name: string, opts: CommonOptions = {}): Promise<string> {
  validateName('container', name);
  const paths = resolvePaths(opts.root);
  requireRecord(paths, name);
  let fd: number;
  try {
    fd = openSync(containerPaths(paths, name).log, 'r');
  } catch {
    return '';
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, LOG_MAX_BYTES - total));
      const n = buf.length === 0 ? 0 : readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The container's log as a byte stream, read as it is consumed (`conductor logs` pipes it to
 * stdout): never the whole file in memory. Empty if the container has no log yet.
 * @example logStream('es-cont').pipe(process.stdout);
 */
export function logStream(name: string, opts: CommonOptions = {}): Readable {
  validateName('container', name);
  const paths = resolvePaths(opts.root);
  requireRecord(paths, name);
  const file = containerPaths(paths, name).log;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    const empty = new PassThrough();
    empty.end();
    return empty;
  }
  return createReadStream(file, { fd, highWaterMark: 64 * 1024 });
}

/**
 * Wait for a line in a container's log (e.g. a server saying it listens).
 * @example await waitForLog('cs-cont', /listening/, { timeoutMs: 5000 });
 */
export async function waitForLog(name: string, pattern: RegExp | string, opts: CommonOptions & { timeoutMs?: number } = {}): Promise<void> {
  const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (re.test(await logs(name, opts))) return;
    if (Date.now() > deadline) throw new ConductorError('TIMEOUT', `container "${name}" did not log ${re} within ${opts.timeoutMs ?? 10_000} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
