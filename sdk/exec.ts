/**
 * exec: a new process in a running container's namespaces, root and cgroups, with the same
 * restrictions as its init. util-linux nsenter enters; the static init helper, handed over as an
 * open file (fd 3) because the host's paths are out of reach once inside, drops privileges and
 * execs the command.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { INIT_HELPER, LOG_MAX_BYTES, MONITOR, resolvePaths, type CommonOptions } from './config.ts';
import { closeFds, openProcsFds } from './cgroups.ts';
import { requireInitHelper, requireRoot } from './host.ts';
import { containerEnv, securityArgs } from './launch-plan.ts';
import { validateName } from './names.ts';
import { forwardSignals } from './proc.ts';
import { missingTool, signalNumber } from './sh.ts';
import { containerPaths, requireRunning } from './state.ts';
import type { ContainerRecord, ExecResult } from './types.ts';

export interface ExecOptions extends CommonOptions {
  /** Extra K=V on top of the container's environment. */
  env?: string[];
  workdir?: string;
  /** Start it and return at once; its output is appended to the container's log. */
  detach?: boolean;
  tty?: boolean;
  /**
   * 'collect' (SDK default): stdin closed unless `input` is given, output returned.
   * 'inherit' (CLI): the caller's stdio is connected.
   */
  stdio?: 'collect' | 'inherit';
  /** Bytes or a stream fed to the command's stdin ('collect' mode). */
  input?: string | Uint8Array | Readable;
}

/** The argv: nsenter into every namespace of the init, then the helper from fd 3. */
export function planExec(rec: ContainerRecord, initPid: number, command: string[], opts: { env?: string[]; workdir?: string; tty?: boolean }, cgroupFds: number[], hasCgroupNs: boolean): string[] {
  const ns = ['-m', '-u', '-i', '-n', '-p', ...(hasCgroupNs ? ['-C'] : []), '-r', '-w'];
  const env = containerEnv(rec.hostname, [...rec.env, ...(opts.env ?? [])], Boolean(opts.tty));
  const helper = ['/proc/self/fd/3', ...cgroupFds.flatMap((fd) => ['--cgroup-fd', String(fd)])];
  helper.push('--workdir', opts.workdir ?? rec.workdir);
  for (const e of env) helper.push('--env', e);
  helper.push(...securityArgs(rec.security), '--', ...command);
  return ['nsenter', '-t', String(initPid), ...ns, ...helper];
}

/** The monitor execs its command by path: find the planned tool (nsenter) on PATH. */
function onPath(tool: string): string {
  if (tool.includes('/')) return tool;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = `${dir || '.'}/${tool}`;
    if (existsSync(p)) return p;
  }
  throw missingTool(tool);
}

/** `exec -d`: the planned argv under the monitor, which copies its output into the capped log. */
export function detachedExecArgv(planned: string[], log: string): string[] {
  return [MONITOR, '--log', log, '--log-max', String(LOG_MAX_BYTES), '--', onPath(planned[0]!), ...planned.slice(1)];
}

/**
 * Run a command in a running container. The command's own failure is data, not an exception.
 * @example const { exitCode, stdout } = await exec('web', ['cat', '/etc/hostname']);
 */
export async function execInContainer(name: string, command: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  validateName('container', name);
  requireRoot();
  requireInitHelper();
  const paths = resolvePaths(opts.root);
  const rec = requireRunning(paths, name);
  const cmd = command.length > 0 ? command : ['/bin/bash'];
  const procs = openProcsFds(rec.cgroups.map((d) => `${d}/cgroup.procs`));
  const helperFd = openSync(INIT_HELPER, 'r');
  const fds = [helperFd, ...procs];
  const planned = planExec(rec, rec.init!.pid, cmd, opts, procs.map((_, i) => 4 + i), existsSync('/proc/self/ns/cgroup'));
  const mode = opts.detach ? 'detach' : (opts.stdio ?? 'collect');
  // Detached output goes through the monitor's capped copier (a pipe), never an fd of the host's
  // log file: with that fd the command could write past the cap, or fchmod/fchown the file.
  const argv = mode === 'detach' ? detachedExecArgv(planned, containerPaths(paths, name).log) : planned;
  const stdio: StdioOptions =
    mode === 'inherit' ? ['inherit', 'inherit', 'inherit', ...fds] : mode === 'detach' ? ['ignore', 'ignore', 'ignore', ...fds] : ['pipe', 'pipe', 'pipe', ...fds];
  try {
    const child = spawn(argv[0]!, argv.slice(1), { stdio, detached: mode === 'detach' });
    if (mode === 'detach') {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      child.unref();
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (mode === 'collect') {
      child.stdout!.on('data', (c: Buffer) => out.push(c));
      child.stderr!.on('data', (c: Buffer) => err.push(c));
      child.stdin!.on('error', () => {});
      const input = opts.input;
      if (input === undefined) child.stdin!.end();
      else if (typeof input === 'string' || input instanceof Uint8Array) child.stdin!.end(input);
      else input.pipe(child.stdin!);
    }
    const unforward = forwardSignals(['SIGTERM', 'SIGHUP'], (sig) => child.kill(sig));
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(code ?? 128 + (sig ? signalNumber(sig) : 0)));
    }).finally(unforward);
    return { exitCode, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  } finally {
    closeSync(helperFd);
    closeFds(procs);
  }
}
