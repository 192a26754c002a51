/**
 * Stopping many containers at once, as docker and podman do: every container's grace period runs
 * at the same time, so N containers take about one grace period, not N. The claims under each
 * container's lock are bounded (a contended lock costs a child process), and the host changes of
 * containers that end together are undone in shared batches (network/undo-all.ts): one firewall
 * restore for all of them instead of one each.
 */
import { resolvePaths } from '../config.ts';
import { limiter } from '../host/limit.ts';
import { undoBatcher } from '../network/undo-all.ts';
import { stopWith, type StopOptions } from './container.ts';
import type { StopResult } from './stop.ts';

/** How many claims (a container lock, a flock child when contended, a record write) run at once. */
export const STOP_PARALLELISM = 32;

export interface StopManyOptions extends StopOptions {
  /** Called as each container is done (in the order they end), e.g. to report it at once. */
  onStopped?: (r: StopResult) => void;
  /** Called for each container that could not be stopped; the others go on. */
  onFailed?: (name: string, error: unknown) => void;
}

export interface StopManyResult {
  /** In the order of `names`. */
  stopped: StopResult[];
  /** In the order of `names`: the containers whose stop threw, with the error. */
  failed: Array<{ name: string; error: unknown }>;
}

/**
 * Stop and remove several containers side by side, each as `stop` does (its own lock, claim and
 * stop signal); one failure does not keep the others running.
 * @example
 * const { stopped, failed } = await stopMany(['web', 'db'], { timeoutSeconds: 1, ignoreMissing: true });
 */
export async function stopMany(names: readonly string[], opts: StopManyOptions = {}): Promise<StopManyResult> {
  const { onStopped, onFailed, ...stopOpts } = opts;
  const shared = { limit: limiter(STOP_PARALLELISM), undo: undoBatcher(resolvePaths(opts.root), opts.log) };
  const settled = await Promise.all(
    [...new Set(names)].map(async (name) => {
      let r: StopResult;
      try {
        r = await stopWith(name, stopOpts, shared);
      } catch (error) {
        onFailed?.(name, error);
        return { failure: { name, error } };
      }
      onStopped?.(r);
      return { r };
    }),
  );
  return {
    stopped: settled.flatMap((s) => (s.r ? [s.r] : [])),
    failed: settled.flatMap((s) => (s.failure ? [s.failure] : [])),
  };
}
