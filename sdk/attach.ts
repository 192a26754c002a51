/** The copying half of stdio-plan.ts: the caller's terminals ↔ the pipes a container process got. */
import type { ChildProcess } from 'node:child_process';
import type { StdioPlan } from './stdio-plan.ts';

/**
 * Start copying as planned; the returned function stops reading the caller's stdin (so the CLI can
 * exit) once the process has ended. Output is piped without ending the caller's streams.
 */
export function connectTerminal(child: ChildProcess, plan: StdioPlan): () => void {
  if (plan.copyStdout) child.stdout!.pipe(process.stdout, { end: false });
  if (plan.copyStderr) child.stderr!.pipe(process.stderr, { end: false });
  if (!plan.copyStdin) return () => {};
  child.stdin!.on('error', () => {}); // the command may exit without reading
  process.stdin.pipe(child.stdin!);
  return () => {
    process.stdin.unpipe(child.stdin!);
    process.stdin.pause();
  };
}
