/**
 * Wait for the container's healthcheck to report `healthy` (testcontainers' Wait.forHealthCheck).
 * The probes are the monitor's (or `conductor healthcheck run`'s): this only reads their record.
 */
import { resolvePaths } from '../../config.ts';
import { ConductorError } from '../../errors.ts';
import { loadRecord } from '../../state/containers.ts';
import { healthNow } from '../health-probe.ts';
import { pollUntil, waitFor, type WaitContext, type WaitOptions, type WaitStrategy } from './strategy.ts';

export interface HealthWaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

const WHAT = 'healthcheck';

/**
 * Ready once the current init's health is `healthy`; a timeout names the last status and probe.
 * @example await run('web', 'web1', { detach: true, wait: Wait.forHealthy({ timeoutMs: 30_000 }) });
 */
export function forHealthy(opts: HealthWaitOptions = {}): WaitStrategy {
  return {
    timeoutMs: opts.timeoutMs,
    describe: () => WHAT,
    async wait(ctx: WaitContext) {
      if (!ctx.record.healthcheck)
        throw new ConductorError('INVALID_ARGUMENT', `container "${ctx.name}" has no healthcheck to wait for`, {
          hint: 'run it with --health-cmd CMD, or give its image a HEALTHCHECK',
        });
      const paths = resolvePaths(ctx.root);
      await pollUntil(ctx, WHAT, async () => {
        const rec = loadRecord(paths, ctx.name);
        const h = rec && healthNow(rec);
        if (!h) return 'not running';
        if (h.status === 'healthy') return null;
        const last = h.log.at(-1);
        if (!last) return `${h.status}, no probe yet`;
        const output = last.output.trim().split('\n').pop() ?? '';
        return `${h.status}, last probe exit ${last.exitCode}${output ? `: ${output}` : ''}`;
      });
    },
  };
}

/**
 * Wait until the container's healthcheck reports healthy.
 * @example await waitForHealthy('db1', { timeoutMs: 30_000 });
 */
export async function waitForHealthy(name: string, opts: WaitOptions & HealthWaitOptions = {}): Promise<void> {
  return waitFor(name, forHealthy(opts), opts);
}
