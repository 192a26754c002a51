/**
 * The streaming form of exec: the command's stdout and stderr as they are written, its stdin from
 * a stream, its exit as a promise, and an AbortSignal that ends it with everything it started.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { exitCodeOf } from '../host/signals.ts';
import { endExec } from './exec-abort.ts';
import { feedStdin, onAbort, openExecFds, prepareExec, type ExecOptions } from './exec.ts';

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
  const argv = prep.argv;
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
  const unabort = onAbort(opts.signal, () => {
    if (!exited) aborted = endExec(child.pid!, () => exited);
  });
  const exit = ended.then(async ({ code, sig }) => {
    unabort();
    if (aborted) await aborted;
    return { exitCode: exitCodeOf(code, sig), aborted: aborted !== null };
  });
  feedStdin(child.stdin!, opts.input);
  return { stdout: child.stdout!, stderr: child.stderr!, exit };
}
