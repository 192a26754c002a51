/**
 * Wait for a pattern in the container's log, following it (an offset kept, only new bytes read),
 * never re-reading the file. Matches count from the start of the log, as testcontainers does.
 */
import { ConductorError } from '../../errors.ts';
import { logs } from '../../logs/logs.ts';
import { waitTimeout, type WaitContext, type WaitStrategy } from './strategy.ts';

/**
 * How many matching lines `waitForLog` waits for, and how long.
 * @example await waitForLog('db1', 'ready to accept connections', { times: 2, timeoutMs: 30_000 });
 */
export interface LogWaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Lines that must match (default 1): e.g. 2 for a server that logs "ready" twice. */
  times?: number;
}

function regexOf(pattern: RegExp | string): RegExp {
  return typeof pattern === 'string'
    ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    : new RegExp(pattern.source, pattern.flags.replace('g', ''));
}

/**
 * Ready once `times` lines of the log match `pattern` (a string matches literally).
 * @example await run('db', 'db1', { detach: true, wait: Wait.forLog(/ready to accept connections/, { times: 2 }) });
 */
export function forLog(pattern: RegExp | string, opts: LogWaitOptions = {}): WaitStrategy {
  const re = regexOf(pattern);
  const times = opts.times ?? 1;
  if (!Number.isInteger(times) || times < 1)
    throw new ConductorError('INVALID_ARGUMENT', `invalid times "${times}"`, { hint: 'a whole number, 1 or more' });
  const what = `log line ${re}${times > 1 ? ` ×${times}` : ''}`;
  return {
    timeoutMs: opts.timeoutMs,
    describe: () => what,
    async wait(ctx: WaitContext) {
      const deadline = AbortSignal.timeout(Math.max(1, ctx.deadline - Date.now()));
      const signal = AbortSignal.any([ctx.signal, deadline]);
      let last = '';
      let seen = 0;
      for await (const line of logs(ctx.name, { root: ctx.root, follow: true, signal })) {
        last = line;
        if (re.test(line) && ++seen === times) return;
      }
      ctx.signal.throwIfAborted();
      if (deadline.aborted) throw waitTimeout(ctx.name, what, ctx.timeoutMs, last);
      ctx.ensureRunning(last);
      // Still running but the follower ended: the container is being removed.
      throw new ConductorError(
        'CONTAINER_NOT_RUNNING',
        `container "${ctx.name}" ended while waiting for ${what} (last seen: ${last || 'nothing'})`,
      );
    },
  };
}
