/** wait: block until a container's command exits, and return its exit code (`conductor wait`). */
import { resolvePaths, type CommonOptions } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { isAlive } from '../host/proc.ts';
import { validateName } from '../names.ts';
import { loadRecord, recordedExitCode, requireRecord, statusOf } from '../state/containers.ts';
import { sleep } from './wait/strategy.ts';

/**
 * `wait`'s options: a state root, and a signal to stop waiting.
 * @example const code = await wait('job1', { signal: AbortSignal.timeout(60_000) });
 */
export interface WaitExitOptions extends CommonOptions {
  /** Stop waiting: rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Resolve with the container's exit code once its command has exited (at once if it already has).
 * Polls the kernel's view of its init (Node has no pidfd), backing off to 100 ms.
 * @example const code = await wait('job1'); // e.g. 0
 */
export async function wait(name: string, opts: WaitExitOptions = {}): Promise<number | null> {
  validateName('container', name);
  const paths = resolvePaths(opts.root);
  requireRecord(paths, name);
  const signal = opts.signal ?? new AbortController().signal;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    signal.throwIfAborted();
    const rec = loadRecord(paths, name);
    if (!rec)
      throw new ConductorError('CONTAINER_NOT_FOUND', `container "${name}" was removed while waiting for it to exit`);
    if (statusOf(paths, rec) === 'exited') {
      // The monitor writes the exit file right after reaping init: while it lives, it may be due.
      const code = recordedExitCode(paths, rec);
      if (code !== null || !isAlive(rec.monitor)) return code;
    }
    await sleep(delay, signal);
  }
}
