/**
 * The streaming form of exec: the command's stdout and stderr as they are written, its stdin from
 * a stream, its exit as a promise, and an AbortSignal that ends it with everything it started.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { pollUntil } from '../host/poll.ts';
import { isAlive, killDescendants } from '../host/proc.ts';
import type { ProcessRef } from '../types.ts';
import { exitCodeOf } from '../host/signals.ts';
import { openExecFds, prepareExec, type ExecOptions } from './exec.ts';

/**
 * `execStream`'s options: `exec`'s environment, workdir and user, a stdin, and a signal that ends it.
 * @example
 * const opts: ExecStreamOptions = { input: createReadStream('dump.sql'), signal: AbortSignal.timeout(60_000) };
 */
export interface ExecStreamOptions extends Pick<ExecOptions, 'root' | 'env' | 'workdir' | 'user'> {
  /** Fed to the command's stdin, which ends with it; absent: stdin is closed at once. */
  input?: string | Uint8Array | Readable;
  /** Aborting kills the command and every process it started in the container (SIGKILL). */
  signal?: AbortSignal;
}

/**
 * How a streamed exec ended.
 * @example const { exitCode, aborted } = await p.exit;
 */
export interface ExecExit {
  /** Its own exit code, or 128 + the signal's number (137 after an abort). */
  exitCode: number;
  /** `signal` aborted it. */
  aborted: boolean;
}

/**
 * A streamed exec under way. Read stdout and stderr both (or `resume()` one): a full pipe blocks the command.
 * @example
 * const p: ExecProcess = await execStream('db1', ['pg_dump', 'app']);
 * p.stderr.resume();
 * await pipeline(p.stdout, createWriteStream('app.sql'));
 */
export interface ExecProcess {
  stdout: Readable;
  stderr: Readable;
  /** Resolves once the command has exited, whatever its code; never rejects. */
  exit: Promise<ExecExit>;
}

/**
 * End an exec after an abort. nsenter (`pid`) forks the command and waits for it: kill what is
 * below nsenter, so that it reaps the command and exits with its end; nsenter itself only while
 * it has no child (before the fork, or after the reaping). Again until nsenter is gone (a fork
 * racing a round is caught by the next), then until every process killed has ended.
 */
async function endTree(pid: number, gone: () => boolean): Promise<boolean> {
  const killed = new Map<string, ProcessRef>();
  const round = (): boolean => {
    // Checked before each kill: once Node has reaped nsenter its PID may name another process.
    if (gone()) return true;
    const tree = killDescendants(pid);
    for (const r of tree) killed.set(`${r.pid}:${r.startTime}`, r);
    if (tree.length === 0) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    return false;
  };
  const opts = { timeoutMs: ABORT_PATIENCE_MS, maxDelayMs: 10 };
  return (await pollUntil(round, opts)) && pollUntil(() => [...killed.values()].every((r) => !isAlive(r)), opts);
}

/** How long an abort keeps killing before it leaves the end to `exit` (a process stuck in D state). */
const ABORT_PATIENCE_MS = 5000;

/**
 * Start a command in a running container and stream it. Resolves once it started; the command's
 * failure is data (`exit`), not an exception. No signal of this process is passed on: `signal`
 * is how the caller ends it.
 *
 * @example
 * const ac = new AbortController();
 * const p = await execStream('web1', ['tail', '-f', '/var/log/app.log'], { signal: ac.signal });
 * for await (const chunk of p.stdout) if (String(chunk).includes('ready')) break;
 * ac.abort();
 * console.log(await p.exit); // { exitCode: 137, aborted: true }
 */
export async function execStream(name: string, command: string[], opts: ExecStreamOptions = {}): Promise<ExecProcess> {
  opts.signal?.throwIfAborted();
  const prep = await prepareExec(name, command, opts);
  opts.signal?.throwIfAborted();
  const { fds, close } = openExecFds(prep);
  const argv = prep.nsenter;
  // No environment, a session of its own: as the buffered exec (exec.ts).
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe', ...fds], detached: true, env: {} });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } finally {
    close();
  }
  let aborted: Promise<boolean> | null = null;
  let exited = false;
  const ended = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, sig) => {
      exited = true;
      resolve({ code, sig });
    }),
  );
  const onAbort = () => {
    if (!exited) aborted = endTree(child.pid!, () => exited);
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const exit = ended.then(async ({ code, sig }) => {
    opts.signal?.removeEventListener('abort', onAbort);
    if (aborted) await aborted;
    return { exitCode: exitCodeOf(code, sig), aborted: aborted !== null };
  });
  child.stdin!.on('error', () => {}); // EPIPE once the command is gone: its exit says how it ended
  const input = opts.input;
  if (input === undefined) child.stdin!.end();
  else if (typeof input === 'string' || input instanceof Uint8Array) child.stdin!.end(input);
  else input.pipe(child.stdin!);
  return { stdout: child.stdout!, stderr: child.stderr!, exit };
}
