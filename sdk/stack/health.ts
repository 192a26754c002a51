import { ConductorError } from '../errors.ts';
import { exec } from '../container/container.ts';
import type { Healthcheck } from './types.ts';

export interface HealthWait {
  root?: string;
  signal?: AbortSignal;
}

/**
 * Runs the healthcheck in the container (through exec, with the container's restrictions) every
 * interval until it passes. Docker's rule for giving up: after the start period, `retries`
 * consecutive failures. Each attempt is bounded by `timeout` (coreutils' timeout in the image).
 */
export async function waitHealthy(container: string, h: Healthcheck, opts: HealthWait = {}): Promise<void> {
  const interval = h.intervalMs ?? 30_000;
  const timeoutSec = Math.max(1, Math.ceil((h.timeoutMs ?? 30_000) / 1000));
  const retries = h.retries ?? 3;
  const startEnds = Date.now() + (h.startPeriodMs ?? 0);
  const argv = typeof h.test === 'string' ? ['/bin/sh', '-c', h.test] : h.test;
  let failures = 0;
  let last = '';
  for (;;) {
    opts.signal?.throwIfAborted();
    const r = await exec(container, ['timeout', '-s', 'KILL', String(timeoutSec), ...argv], { root: opts.root });
    if (r.exitCode === 0) return;
    const out = (r.stderr || r.stdout).trim();
    last = `exit ${r.exitCode}${out ? `: ${out.split('\n').pop()}` : ''}`;
    if (Date.now() >= startEnds && ++failures >= retries) {
      throw new ConductorError('TIMEOUT', `${container} is unhealthy: ${retries} checks failed (last: ${last})`, {
        hint: `see \`conductor logs ${container}\`; the check is ${JSON.stringify(argv)}`,
      });
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
