/** The copying half of stdio-plan.ts: the caller's terminals ↔ the pipes a container process got. */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { StdioPlan } from './stdio-plan.ts';

/**
 * Output goes to the caller's fd 1 / 2 itself, the fd a plain 'inherit' would have handed over:
 * the SDK prints nothing of its own here. The fd stays open (autoClose off); writes are queued in
 * order and keep the process alive until done.
 */
function toFd(from: Readable, fd: number): void {
  const out = createWriteStream('', { fd, autoClose: false });
  out.on('error', () => from.unpipe(out)); // the caller closed it: the container must not stop
  from.pipe(out, { end: false });
}

/**
 * Start copying as planned; the returned function stops reading the caller's stdin (so the CLI can
 * exit) once the process has ended.
 */
export function connectTerminal(child: ChildProcess, plan: StdioPlan): () => void {
  if (plan.copyStdout) toFd(child.stdout!, 1);
  if (plan.copyStderr) toFd(child.stderr!, 2);
  if (!plan.copyStdin) return () => {};
  child.stdin!.on('error', () => {}); // the command may exit without reading
  process.stdin.pipe(child.stdin!);
  return () => {
    process.stdin.unpipe(child.stdin!);
    process.stdin.pause();
  };
}
