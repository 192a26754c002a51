/**
 * The one poll loop: call a check until it holds, sleeping between calls with exponential backoff
 * (1 ms, doubling, capped), and never sleeping past the deadline, so the last check runs at it.
 * Node has no pidfd or inotify on cgroupfs worth the complexity here; short polls are what
 * runc and youki do too for "wait until the process is gone".
 */

/** Time as the loop sees it; tests pass a fake one so no test sleeps. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface PollOptions {
  /** Give up after this long (Infinity: until the check holds). */
  timeoutMs: number;
  /** The longest sleep between two checks. */
  maxDelayMs: number;
  clock?: Clock;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Resolves true as soon as `check` returns true, false once `timeoutMs` has passed without it.
 * The check runs at least once; an exception from it ends the loop and propagates.
 *
 * @example
 * if (!(await pollUntil(() => !isAlive(ref), { timeoutMs: 2000, maxDelayMs: 25 }))) signalRef(ref, 'SIGKILL');
 */
export async function pollUntil(check: () => boolean | Promise<boolean>, opts: PollOptions): Promise<boolean> {
  const clock = opts.clock ?? realClock;
  const deadline = clock.now() + opts.timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, opts.maxDelayMs)) {
    if (await check()) return true;
    const left = deadline - clock.now();
    if (left <= 0) return false;
    await clock.sleep(Math.max(0, Math.min(delay, opts.maxDelayMs, left)));
  }
}
