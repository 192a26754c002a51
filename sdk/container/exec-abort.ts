/**
 * Ending an exec on abort: the command and every process it started in the container, from one
 * snapshot of the tree below the spawned process (the buffered and the streamed exec alike).
 */
import { pollUntil } from '../host/poll.ts';
import { isAlive, killDescendants } from '../host/proc.ts';
import type { ProcessRef } from '../types.ts';

/** How long an abort keeps killing before it gives up (a process stuck in D state). */
const ABORT_PATIENCE_MS = 5000;

/**
 * End an exec after an abort. `pid` is the process exec spawned: nsenter, which forks the command
 * and waits for it (or the -t relay above nsenter). Kill what is below it, so that it reaps its
 * child and exits with its end; `pid` itself only while it has no child (before the fork, or
 * after the reaping). Again until `pid` is gone (a fork
 * racing a round is caught by the next), then until every process killed has ended. False if
 * that took longer than ABORT_PATIENCE_MS (a process stuck in D state).
 *
 * @example
 * signal.addEventListener('abort', () => void endExec(child.pid!, () => child.exitCode !== null || child.signalCode !== null));
 */
export async function endExec(pid: number, gone: () => boolean): Promise<boolean> {
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
