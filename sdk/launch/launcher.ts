/**
 * Starting planned containers: attached (stdio connected, dies with its caller) or detached (the
 * monitor records the exit code and caps the log, and outlives the CLI).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { connectTerminal } from './attach.ts';
import { ConductorError } from '../errors.ts';
import { attachedLaunch, detachedLaunch, type LaunchSpec } from './launch-plan.ts';
import { planStdio } from './stdio-plan.ts';
import { refOf } from '../host/proc.ts';
import { exitCodeOf } from '../host/signals.ts';
import type { ProcessRef } from '../types.ts';

export interface Started {
  child: ChildProcess;
  /** The container's PID 1 on the host; null if it was already gone when we looked. */
  init: ProcessRef | null;
}

/** Called with the init's host PID while the command is held (spec.waitForGo); wire it up here. */
export type BeforeStart = (init: ProcessRef) => Promise<void>;

/**
 * The launch protocol on the ready fd (a socket pair): the monitor sends the init's host PID on a
 * line; if the spec holds the command, we run `beforeStart` and send "G"; the init helper
 * sends "R" right before it execs the command. Resolves on "R"; rejects with LaunchError if the
 * process exits first (setup or the helper failed, having said why on stderr).
 */
function handshake(
  child: ChildProcess,
  fd: number,
  hooks: { beforeStart?: BeforeStart; onPid?: (init: ProcessRef) => void },
  kill = () => child.kill('SIGKILL'),
): Promise<ProcessRef | null> {
  const { beforeStart, onPid } = hooks;
  return new Promise((resolve, reject) => {
    const stream = child.stdio[fd] as Duplex;
    let buf = '';
    let init: ProcessRef | null = null;
    let sawPid = false;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      child.off('exit', onExit);
      stream.destroy();
      if (err) reject(err);
      else resolve(init);
    };
    const onExit = (code: number | null, sig: NodeJS.Signals | null) => finish(new LaunchError(exitCodeOf(code, sig)));
    stream.on('error', () => {});
    stream.on('data', (c: Buffer) => {
      buf += c.toString();
      // The monitor's PID line and the helper's "R" come from two processes: either may be first.
      const line = /(\d+)\n/.exec(buf);
      if (line && !sawPid) {
        sawPid = true;
        init = refOf(Number(line[1]));
        if (init) onPid?.(init);
        if (beforeStart) {
          if (!init) return finish(new LaunchError(125));
          beforeStart(init).then(
            () => stream.write('G'),
            (e: Error) => {
              kill();
              finish(e);
            },
          );
        }
      }
      if (sawPid && buf.replace(/\d+\n/, '').includes('R')) finish(null);
    });
    child.on('exit', onExit);
  });
}

/** The container never reached its command: exit code of the failed setup (125) or the helper (126/127). */
export class LaunchError extends Error {
  constructor(readonly exitCode: number) {
    super(`container setup failed with exit code ${exitCode}`);
  }
}

export interface AttachedOptions {
  /** 'inherit': the caller's stdin (copied through a pipe if it is a terminal); a stream is piped. */
  stdin: 'inherit' | 'ignore' | Readable;
  /** A pty inside the container, joined to the caller's terminal by the relay (-t). */
  tty?: boolean;
  /** Collect output instead of passing the caller's stdout/stderr through. */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Extra fds for the child (the cgroups' join files), numbered from 4; closed here once it has them. */
  extraFds?: number[];
  beforeStart?: BeforeStart;
  /**
   * Called with the init as soon as the monitor names it, while the helper is still setting up
   * (mounts, pivot_root, seccomp): what the caller records of it then overlaps that work.
   */
  onPid?: (init: ProcessRef) => void;
}

export interface AttachedRun extends Started {
  exit: Promise<{ exitCode: number; signal: NodeJS.Signals | null }>;
}

/**
 * Spawn, then close our copies of the fds handed to the child: it holds its own now. No
 * environment but the launch tag: the caller's (tokens, SSH_AUTH_SOCK, NODE_OPTIONS) would
 * otherwise sit in the memory of every process of the chain, and the container's comes only from
 * the helper's --env. The tag marks every process of this launch until the helper execs the
 * command with the container's own environment, so stop can find them even if nobody recorded
 * their PIDs.
 */
function spawnAndRelease(
  argv: string[],
  stdio: StdioOptions,
  detached: boolean,
  handed: number[] = [],
  launchTag?: string,
): ChildProcess {
  const env = launchTag ? { CONDUCTOR_LAUNCH: launchTag } : {};
  try {
    return spawn(argv[0]!, argv.slice(1), { stdio, detached, env });
  } finally {
    for (const fd of handed) closeSync(fd);
  }
}

export async function launchAttached(spec: LaunchSpec, opts: AttachedOptions): Promise<AttachedRun> {
  const extra = opts.extraFds ?? [];
  const { argv, consoleFd } = attachedLaunch(spec, extra.length, Boolean(opts.tty), opts.stdin !== 'ignore');
  const plan = planStdio(
    typeof opts.stdin === 'string' ? opts.stdin : 'stream',
    Boolean(opts.onOutput),
    consoleFd !== undefined,
    isatty,
  );
  const stdio: StdioOptions = [...plan.stdio, 'pipe', ...extra];
  // A session of its own: nothing in the container may have the caller's terminal as its
  // controlling terminal (open("/dev/tty"), TIOCSTI). The relay instead stays in the caller's
  // foreground process group, where resizes (SIGWINCH) arrive, and makes that session itself.
  const child = spawnAndRelease(argv, stdio, consoleFd === undefined, opts.extraFds, spec.launchTag);
  const release = connectTerminal(child, plan);
  if (typeof opts.stdin !== 'string') {
    child.stdin!.on('error', () => {});
    opts.stdin.pipe(child.stdin!);
  }
  if (opts.onOutput) {
    child.stdout!.on('data', (c: Buffer) => opts.onOutput!(c, 'stdout'));
    child.stderr!.on('data', (c: Buffer) => opts.onOutput!(c, 'stderr'));
  }
  const exit = new Promise<{ exitCode: number; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      release();
      resolve({ exitCode: exitCodeOf(code, signal), signal });
    });
  });
  let init: ProcessRef | null;
  try {
    init = await handshake(child, 3, { beforeStart: opts.beforeStart, onPid: opts.onPid });
  } catch (e) {
    if (e instanceof LaunchError) {
      // The command may have failed to exec (126/127): that is its exit code, not a conductor error.
      return { child, init: null, exit };
    }
    throw e;
  }
  return { child, init, exit };
}

export interface DetachedOptions {
  log: string;
  /** A pty inside the container; the monitor copies its output into the log. */
  tty?: boolean;
  exitFile: string;
  logMaxBytes: number;
  /** As in AttachedOptions: closed here once the child has them. */
  extraFds?: number[];
  beforeStart?: BeforeStart;
}

export interface DetachedRun extends Started {
  /** The init's parent, which records its exit code and writes the log. */
  monitor: ProcessRef;
}

/**
 * Detached: the monitor (the init's parent: it records the exit code and copies the output into
 * the capped log) leads its own session. It is not the caller, so the container outlives it.
 */
export async function launchDetached(spec: LaunchSpec, opts: DetachedOptions): Promise<DetachedRun> {
  const argv = detachedLaunch(spec, {
    log: opts.log,
    exitFile: opts.exitFile,
    logMaxBytes: opts.logMaxBytes,
    extraFds: opts.extraFds?.length ?? 0,
    tty: Boolean(opts.tty),
  });
  const child = spawnAndRelease(
    argv,
    ['ignore', 'ignore', 'ignore', 'pipe', ...(opts.extraFds ?? [])],
    true,
    opts.extraFds,
    spec.launchTag,
  );
  const monitor = refOf(child.pid!);
  if (!monitor) throw new ConductorError('START_FAILED', 'the container exited at once');
  try {
    // The monitor leads its own process group: killing the group takes the whole tree.
    const init = await handshake(child, 3, { beforeStart: opts.beforeStart }, () =>
      process.kill(-child.pid!, 'SIGKILL'),
    );
    return { child, init, monitor };
  } finally {
    child.unref();
  }
}
