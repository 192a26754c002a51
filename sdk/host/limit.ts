/**
 * A bound on how many calls run at once: the work that spawns processes or holds file descriptors
 * goes through it, while waiting (a grace period, a poll) happens outside, so N containers can sit
 * in their grace periods together without N tool spawns at once.
 */

/** Runs `fn` once a slot is free; the slot is given back when its promise settles. */
export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

/** No bound: what a single-container verb passes. */
export const unlimited: Limit = (fn) => fn();

/**
 * A limit of `n` calls at a time, started in the order they asked.
 * @example
 * const limit = limiter(16);
 * await Promise.all(names.map((n) => limit(() => withLock(dir, n, claim))));
 */
export function limiter(n: number): Limit {
  let running = 0;
  const queue: Array<() => void> = [];
  // A finished call hands its slot straight to the next waiter, so a newcomer cannot slip in between.
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else running--;
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => queue.push(resolve));
    else running++;
    try {
      return await fn();
    } finally {
      release();
    }
  };
}
