/** Exit statuses as a shell reports them. */
import { constants } from 'node:os';

/**
 * The exit status of a child as Node reports its end (`code`, `signal`): its own exit code, or
 * 128 + the signal's number when a signal killed it (the shell's and Docker's convention), from
 * the kernel's full signal table (SIGUSR1 is 138, SIGRTMIN-style names Node does not know are 128).
 *
 * @example
 * exitCodeOf(3, null);          // 3
 * exitCodeOf(null, 'SIGKILL');  // 137
 * exitCodeOf(null, 'SIGUSR1');  // 138
 */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (n ?? 0);
}
