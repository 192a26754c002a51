/**
 * Health state transitions, pure: Docker's handleProbeResult (daemon/health.go). A pass makes the
 * container healthy and clears the streak; a failure counts unless the container is still
 * `starting` within its start period; `retries` counted failures in a row make it unhealthy. The
 * state belongs to one init: after a restart it starts again from `starting`.
 */
import type { HealthcheckConfig, HealthLogEntry, HealthState, ProcessRef } from '../types.ts';

/**
 * Docker keeps the last five probes, and 4096 bytes of each one's output.
 * @example health.log.length <= HEALTH_LOG_ENTRIES; // true
 */
export const HEALTH_LOG_ENTRIES = 5;
export const HEALTH_OUTPUT_MAX = 4096;

const sameInit = (a: ProcessRef, b: ProcessRef): boolean => a.pid === b.pid && a.startTime === b.startTime;

/**
 * The health of `init`: the recorded state if it is that init's, else a fresh `starting` one.
 * @example healthFor(undefined, { pid: 7, startTime: '99' }); // { status: 'starting', failingStreak: 0, log: [], init }
 */
export function healthFor(recorded: HealthState | undefined, init: ProcessRef): HealthState {
  if (recorded && sameInit(recorded.init, init)) return recorded;
  return { status: 'starting', failingStreak: 0, log: [], init: { ...init } };
}

/** What one probe of `init` gave. */
export interface ProbeOutcome {
  init: ProcessRef;
  /** When the init started (ms since the epoch): the start period counts from it. */
  initStartedAtMs: number;
  entry: HealthLogEntry;
}

/**
 * The state after one probe.
 * @example
 * const init = { pid: 7, startTime: '99' };
 * const entry = { start: '2024-01-01T00:00:01Z', end: '2024-01-01T00:00:01Z', exitCode: 0, output: '' };
 * nextHealth(undefined, { init, initStartedAtMs: 0, entry }, { retries: 3, startPeriodMs: 0 }).status; // 'healthy'
 */
export function nextHealth(
  recorded: HealthState | undefined,
  probe: ProbeOutcome,
  cfg: Pick<HealthcheckConfig, 'retries' | 'startPeriodMs'>,
): HealthState {
  const prev = healthFor(recorded, probe.init);
  const entry = { ...probe.entry, output: truncateOutput(probe.entry.output) };
  const log = [...prev.log, entry].slice(-HEALTH_LOG_ENTRIES);
  if (entry.exitCode === 0) return { status: 'healthy', failingStreak: 0, log, init: prev.init };
  // No probe starts before its init: a negative gap is the init's start time read from /proc
  // (10 ms ticks on a boot time derived from /proc/uptime) landing a few ms late, and must not
  // place a probe inside a start period of 0.
  const sinceStart = Math.max(0, Date.parse(entry.start) - probe.initStartedAtMs);
  const inStartPeriod = prev.status === 'starting' && sinceStart < cfg.startPeriodMs;
  if (inStartPeriod) return { ...prev, log };
  const failingStreak = prev.failingStreak + 1;
  const status = failingStreak >= cfg.retries ? 'unhealthy' : prev.status;
  return { status, failingStreak, log, init: prev.init };
}

/**
 * At most HEALTH_OUTPUT_MAX bytes of UTF-8, cut on a character boundary.
 * @example truncateOutput('x'.repeat(5000)).length; // 4096
 */
export function truncateOutput(s: string): string {
  const b = Buffer.from(s);
  if (b.length <= HEALTH_OUTPUT_MAX) return s;
  return b
    .subarray(0, HEALTH_OUTPUT_MAX)
    .toString()
    .replace(/\uFFFD$/, '');
}
