/**
 * exec: a new process in a running container's namespaces, root and cgroups, with the same
 * restrictions as its init. The static init helper does it all: it enters the init's namespaces
 * (setns on a pidfd), forks into its PID namespace, joins its cgroups, drops privileges and execs
 * the command.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { isatty } from 'node:tty';
import { connectTerminal } from '../launch/attach.ts';
import { LOG_MAX_BYTES, MONITOR, TTY_RELAY, resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { closeFds, joinFileOf, openProcsFds } from '../limits/cgroupfs.ts';
import { ConductorError } from '../errors.ts';
import { requireInitHelper, requireRoot } from '../host/preflight.ts';
import { planTtyRelay, withCallerValues } from '../launch/launch-plan.ts';
import { planExec } from '../launch/exec-plan.ts';
import { planExecDry } from './exec-dry-plan.ts';
import { endExec } from './exec-abort.ts';
import { validateName } from '../names.ts';
import { childrenOf, forwardSignals, refOf, signalRef } from '../host/proc.ts';
import { exitCodeOf } from '../host/signals.ts';
import { planStdio } from '../launch/stdio-plan.ts';
import { containerPaths, requireRunning } from '../state/containers.ts';
import { containerFilterPath, openFilter, seccompChoice, seccompFilter } from '../security/seccomp/filter.ts';
import type { ContainerRecord, ExecResult } from '../types.ts';

export interface ExecOptions extends CommonOptions {
  /** Extra K=V on top of the container's environment (the image's ENV and run's -e). */
  env?: string[];
  /** Default: the container's (the image's WORKDIR or run's -w). */
  workdir?: string;
  /** `name|uid[:group|gid]`; default: the container's (the image's USER or run's -u), else root. */
  user?: string;
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
  /** 'collect' mode: stream stdout here (ended with it) instead of returning it (binary output: `cp`). */
  stdout?: Writable;
  /** Check everything as exec does, then return `plan` (the argv and what it joins), starting nothing. */
  dryRun?: boolean;
  /** Attached execs: SIGKILL the command and all it started on abort; resolves with its exit code (137). */
  signal?: AbortSignal;
}

/** The filter the container's init got (pinned by run); compiled anew only for containers made before pinning. */
async function execFilter(paths: Paths, rec: ContainerRecord, dryRun: boolean): Promise<string | null> {
  if (seccompChoice(rec.security) === 'unconfined') return null;
  const pinned = containerFilterPath(containerPaths(paths, rec.name).dir);
  return existsSync(pinned) ? pinned : seccompFilter(paths, rec.security, { dryRun });
}

/**
 * `exec -d`: the planned argv (the helper by absolute path) under the monitor, which copies its
 * output into the capped log.
 */
export function detachedExecArgv(planned: string[], log: string): string[] {
  return [MONITOR, '--log', log, '--log-max', String(LOG_MAX_BYTES), '--', ...planned];
}

/** An exec checked and planned: the helper's argv and what it hands over (opened by `openExecFds`). */
export interface PreparedExec {
  paths: Paths;
  rec: ContainerRecord;
  /** The init helper, joining the container (--join) and running the command there. */
  argv: string[];
  /** The cgroups' join files (fds 3..), then the seccomp filter, if any. */
  procFiles: string[];
  filter: string | null;
  /** -t: the fd of the console socket the relay passes. */
  consoleFd?: number;
}

/**
 * Everything exec checks and plans before it starts anything: the name, root, the user's form,
 * that the container runs, its seccomp filter; then the argv (buffered, streamed and dry runs alike).
 *
 * @example
 * const prep = await prepareExec('web1', ['ls'], { tty: false });
 * prep.argv; // ['/…/native/conductor-init', '--join', '4121:9876', ..., '--', 'ls']
 */
export async function prepareExec(
  name: string,
  command: string[],
  opts: Pick<ExecOptions, 'root' | 'env' | 'workdir' | 'user' | 'tty' | 'dryRun'>,
): Promise<PreparedExec> {
  validateName('container', name);
  requireRoot();
  requireInitHelper(Boolean(opts.tty));
  const paths = resolvePaths(opts.root);
  if (opts.user !== undefined && !/^[^:\s]+(?::[^:\s]+)?$/.test(opts.user)) {
    throw new ConductorError('INVALID_ARGUMENT', `invalid user ${JSON.stringify(opts.user)}`, {
      hint: 'use name, uid, name:group or uid:gid',
    });
  }
  const rec = requireRunning(paths, name);
  const cmd = command.length > 0 ? command : ['/bin/bash'];
  const filter = await execFilter(paths, rec, Boolean(opts.dryRun));
  const procFiles = rec.cgroups.map(joinFileOf);
  // fds in the child: 3.. the cgroups, then the filter; the relay adds the console socket after them.
  const seccompFd = filter === null ? undefined : 3 + procFiles.length;
  const consoleFd = opts.tty ? 3 + procFiles.length + (filter === null ? 0 : 1) : undefined;
  const argv = planExec(
    rec,
    rec.init!,
    cmd,
    { ...opts, env: withCallerValues(opts.env ?? [], process.env) },
    procFiles.map((_, i) => 3 + i),
    { consoleFd, seccompFd },
  );
  return { paths, rec, argv, procFiles, filter, consoleFd };
}

/**
 * The files a prepared exec hands over, opened in fd order (cgroups, filter), and how to close
 * them in this process once the exec no longer needs them.
 *
 * @example
 * const { fds, close } = openExecFds(prep);
 * try { spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe', ...fds] }); } finally { close(); }
 */
export function openExecFds(prep: PreparedExec): { fds: number[]; close: () => void } {
  const procs = openProcsFds(prep.procFiles);
  const filterFd = prep.filter ? openFilter(prep.filter) : null;
  return {
    fds: [...procs, ...(filterFd === null ? [] : [filterFd])],
    close: () => {
      if (filterFd !== null) closeSync(filterFd);
      closeFds(procs);
    },
  };
}

/**
 * Run a command in a running container. The command's own failure is data, not an exception.
 * @example const { exitCode, stdout } = await exec('web', ['cat', '/etc/hostname']);
 */
export async function execInContainer(name: string, command: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  validateName('container', name);
  if (opts.detach && opts.tty) {
    throw new ConductorError(
      'INVALID_ARGUMENT',
      'exec: -t needs an attached exec (a detached one has no terminal to join)',
      { hint: 'drop -d or -t' },
    );
  }
  const prep = await prepareExec(name, command, opts);
  const { paths, argv: helper, consoleFd, procFiles, filter, rec } = prep;
  const mode = opts.detach ? 'detach' : (opts.stdio ?? 'collect');
  const relayStdin = mode === 'inherit' || opts.input !== undefined;
  // Detached output goes through the monitor's capped copier (a pipe), never an fd of the host's
  // log file: with that fd the command could write past the cap, or fchmod/fchown the file.
  const argv =
    mode === 'detach'
      ? detachedExecArgv(helper, containerPaths(paths, name).log)
      : consoleFd === undefined
        ? helper
        : planTtyRelay(TTY_RELAY, consoleFd, relayStdin, helper);
  if (opts.dryRun) {
    const fds = [...procFiles, ...(filter === null ? [] : [filter])];
    return {
      exitCode: 0,
      stdout: '',
      stderr: '',
      plan: planExecDry({ name, argv, fds, cgroups: rec.cgroups, detach: mode === 'detach' }),
    };
  }
  const { fds, close } = openExecFds(prep);
  const plan = mode === 'inherit' ? planStdio('inherit', false, consoleFd !== undefined, isatty) : null;
  const stdio: StdioOptions = plan
    ? [...plan.stdio, ...fds]
    : mode === 'detach'
      ? ['ignore', 'ignore', 'ignore', ...fds]
      : ['pipe', 'pipe', 'pipe', ...fds];
  try {
    // No environment: nothing of the caller's may reach the container (see launcher.ts). As in run,
    // the command never shares the caller's session; the relay makes its own.
    const child = spawn(argv[0]!, argv.slice(1), { stdio, detached: consoleFd === undefined, env: {} });
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
    const release = plan ? connectTerminal(child, plan) : () => {};
    if (mode === 'collect') {
      if (opts.stdout) child.stdout!.pipe(opts.stdout);
      else child.stdout!.on('data', (c: Buffer) => out.push(c));
      child.stderr!.on('data', (c: Buffer) => err.push(c));
      feedStdin(child.stdin!, opts.input);
    }
    // The command leads a session of its own, so the terminal's signals no longer reach it, and
    // the helper that waits for it passes none on: signal the command itself.
    const unforward = forwardSignals(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'], (sig) =>
      signalCommand(child.pid!, consoleFd === undefined ? 1 : 2, sig),
    );
    let exited = false;
    child.once('exit', () => (exited = true));
    const unabort = onAbort(opts.signal, () => {
      // The command and all it started (exec-abort.ts); then stop waiting for pipes that a process
      // stuck past SIGKILL may still hold.
      void endExec(child.pid!, () => exited).then(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      });
    });
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(exitCodeOf(code, sig)));
    }).finally(() => {
      unforward();
      unabort();
      release();
    });
    return { exitCode, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  } finally {
    close();
  }
}

/**
 * The command's stdin: `input` written and closed, a stream piped in, or closed at once. EPIPE once
 * the command is gone is ignored: its exit says how it ended.
 * @example feedStdin(child.stdin!, 'hello\n');
 */
export function feedStdin(stdin: Writable, input: string | Uint8Array | Readable | undefined): void {
  stdin.on('error', () => {});
  if (input === undefined) stdin.end();
  else if (typeof input === 'string' || input instanceof Uint8Array) stdin.end(input);
  else input.pipe(stdin);
}

/**
 * Call `fn` once when `signal` aborts (at once if it has); returns the unsubscriber.
 * @example const off = onAbort(opts.signal, () => child.kill()); // later: off()
 */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/**
 * The exec'd command: `depth` generations below the process we spawned (the helper forks it; the
 * -t relay adds one). Before it exists, the deepest process there is, at worst the spawned one.
 */
function commandOf(pid: number, depth: number): number {
  let target = pid;
  for (let i = 0; i < depth; i++) {
    const next = childrenOf(target)[0];
    if (next === undefined) break;
    target = next;
  }
  return target;
}

/** Signal the exec'd command (before it exists, the spawned process itself, which ends the exec). */
function signalCommand(pid: number, depth: number, sig: NodeJS.Signals): void {
  const ref = refOf(commandOf(pid, depth));
  if (ref) signalRef(ref, sig);
}
