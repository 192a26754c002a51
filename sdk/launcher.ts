/**
 * Starting planned containers: attached (stdio connected, dies with its caller) or detached (the
 * monitor records the exit code and caps the log, and outlives the CLI).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import { ConductorError } from './errors.ts';
import { planLaunch, type LaunchSpec } from './launch-plan.ts';
import { refOf } from './proc.ts';
import { signalNumber } from './sh.ts';
import type { ProcessRef } from './types.ts';

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
 * sends "R" right before it execs the command. Resolves on "R"; rejects with LaunchFailed if the
 * process exits first (setup or the helper failed, having said why on stderr).
 */
function handshake(child: ChildProcess, fd: number, beforeStart?: BeforeStart, kill = () => child.kill('SIGKILL')): Promise<ProcessRef | null> {
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
    const onExit = (code: number | null, sig: NodeJS.Signals | null) =>
      finish(new LaunchFailed(code ?? 128 + (sig ? signalNumber(sig) : 0)));
    stream.on('error', () => {});
    stream.on('data', (c: Buffer) => {
      buf += c.toString();
      // The monitor's PID line and the helper's "R" come from two processes: either may be first.
      const line = /(\d+)\n/.exec(buf);
      if (line && !sawPid) {
        sawPid = true;
        init = refOf(Number(line[1]));
        if (beforeStart) {
          if (!init) return finish(new LaunchFailed(125));
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
export class LaunchFailed extends Error {
  constructor(readonly exitCode: number) {
    super(`container setup failed with exit code ${exitCode}`);
  }
}

export interface AttachedOptions {
  /** 'inherit' connects the caller's terminal; a stream is piped to the command's stdin. */
  stdin: 'inherit' | 'ignore' | Readable;
  /** Collect output instead of passing the caller's stdout/stderr through. */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Extra fds for the child (cgroup.procs files), numbered from 4; closed here once it has them. */
  extraFds?: number[];
  beforeStart?: BeforeStart;
}

export interface AttachedRun extends Started {
  exit: Promise<{ exitCode: number; signal: NodeJS.Signals | null }>;
}

/** Spawn, then close our copies of the fds handed to the child: it holds its own now. */
function spawnAndRelease(argv: string[], stdio: StdioOptions, detached: boolean, handed: number[] = [], launchTag?: string): ChildProcess {
  // The tag marks every process of this launch until the helper execs the command with the
  // container's own environment, so stop can find them even if nobody recorded their PIDs.
  const env = launchTag ? { ...process.env, CONDUCTOR_LAUNCH: launchTag } : undefined;
  try {
    return spawn(argv[0]!, argv.slice(1), { stdio, detached, env });
  } finally {
    for (const fd of handed) closeSync(fd);
  }
}

export async function launchAttached(spec: LaunchSpec, opts: AttachedOptions): Promise<AttachedRun> {
  const argv = planLaunch({ ...spec, diesWithCaller: true });
  const collect = Boolean(opts.onOutput);
  const stdio: StdioOptions = [
    typeof opts.stdin === 'string' ? opts.stdin : 'pipe',
    collect ? 'pipe' : 'inherit',
    collect ? 'pipe' : 'inherit',
    'pipe',
    ...(opts.extraFds ?? []),
  ];
  const child = spawnAndRelease(argv, stdio, false, opts.extraFds, spec.launchTag);
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
    child.on('close', (code, signal) => resolve({ exitCode: code ?? 128 + (signal ? signalNumber(signal) : 0), signal }));
  });
  let init: ProcessRef | null;
  try {
    init = await handshake(child, 3, opts.beforeStart);
  } catch (e) {
    if (e instanceof LaunchFailed) {
      // The command may have failed to exec (126/127): that is its exit code, not a conductor error.
      return { child, init: null, exit };
    }
    throw e;
  }
  return { child, init, exit };
}

export interface DetachedOptions {
  log: string;
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
  const argv = planLaunch({ ...spec, exitFile: opts.exitFile, log: { file: opts.log, maxBytes: opts.logMaxBytes } });
  const child = spawnAndRelease(argv, ['ignore', 'ignore', 'ignore', 'pipe', ...(opts.extraFds ?? [])], true, opts.extraFds, spec.launchTag);
  const monitor = refOf(child.pid!);
  if (!monitor) throw new ConductorError('COMMAND_FAILED', 'the container exited at once');
  try {
    // The monitor leads its own process group: killing the group takes the whole tree.
    const init = await handshake(child, 3, opts.beforeStart, () => process.kill(-child.pid!, 'SIGKILL'));
    return { child, init, monitor };
  } finally {
    child.unref();
  }
}
