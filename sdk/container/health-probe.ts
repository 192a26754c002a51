/**
 * The healthcheck probe (podman's `healthcheck run`): one run of the container's check through
 * exec, bounded by its timeout, its result folded into the record under the container's lock.
 * The monitor runs it every interval as a separate CLI process (healthProbeArgv).
 */
import { CLI_BUNDLE, resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { healthArgv } from '../image/healthcheck.ts';
import { isAlive, startedAtMs, startTimeMs } from '../host/proc.ts';
import { validateName } from '../names.ts';
import { requireRunning, updateRecord } from '../state/containers.ts';
import type { ContainerInfo, ContainerRecord, HealthState } from '../types.ts';
import { execInContainer } from './exec.ts';
import { healthFor, nextHealth } from './health-state.ts';

/**
 * The argv the monitor runs every interval: this node and this CLI on this state root and cache,
 * whatever the monitor's own environment holds.
 * @example
 * healthProbeArgv(resolvePaths('/var/lib/conductor'), 'web1');
 * // ['/usr/bin/env', 'CONDUCTOR_ROOT=/var/lib/conductor', 'CONDUCTOR_CACHE=/var/lib/conductor/.cache',
 * //  '/usr/bin/node', '<package>/dist/conductor.cjs', 'healthcheck', 'run', 'web1']
 */
export function healthProbeArgv(paths: Pick<Paths, 'root' | 'cache'>, name: string): string[] {
  return [
    '/usr/bin/env',
    `CONDUCTOR_ROOT=${paths.root}`,
    `CONDUCTOR_CACHE=${paths.cache}`,
    process.execPath,
    CLI_BUNDLE,
    'healthcheck',
    'run',
    name,
  ];
}

/**
 * A running container's health as of now (its current init's), or undefined without a healthcheck.
 * @example healthNow(requireRecord(paths, 'web1'))?.status; // 'starting'
 */
export function healthNow(rec: ContainerRecord): HealthState | undefined {
  const init = rec.init;
  return rec.healthcheck && init && isAlive(init) ? healthFor(rec.health, init) : undefined;
}

/**
 * What ps and inspect add for a container that statusOf has just found running: when its current
 * init started, and that init's health. No second look at /proc (ps reads one stat per container).
 * @example const { startedAt, health } = runningDetails(rec); // '2024-…Z', 'healthy'
 */
export function runningDetails(rec: ContainerRecord): Pick<ContainerInfo, 'startedAt' | 'health'> {
  const init = rec.init;
  if (!init) return {};
  const health = rec.healthcheck ? healthFor(rec.health, init) : undefined;
  return {
    startedAt: new Date(startTimeMs(init.startTime)).toISOString(),
    ...(health ? { health: health.status } : {}),
  };
}

export interface HealthcheckResult {
  /** The check exited 0 within its timeout. */
  passed: boolean;
  /** The state after this probe. */
  health: HealthState;
}

/**
 * Run a container's healthcheck once and record the result: podman's `healthcheck run`. The
 * check's failure is data (`passed: false`); a container that is not running, or has no
 * healthcheck, is an error.
 * @example const { passed, health } = await runHealthcheck('web1'); // health.status: 'starting'|'healthy'|'unhealthy'
 */
export async function runHealthcheck(name: string, opts: CommonOptions = {}): Promise<HealthcheckResult> {
  validateName('container', name);
  const paths = resolvePaths(opts.root);
  const rec = requireRunning(paths, name);
  const hc = rec.healthcheck;
  if (!hc)
    throw new ConductorError('INVALID_ARGUMENT', `container "${name}" has no healthcheck`, {
      hint: 'run it with --health-cmd CMD, or give its image a HEALTHCHECK',
    });
  const init = rec.init!;
  const initStartedAtMs = startedAtMs(init) ?? Date.parse(rec.createdAt);
  const start = new Date();
  const timeout = AbortSignal.timeout(hc.timeoutMs);
  const r = await execInContainer(name, healthArgv(hc), { root: opts.root, signal: timeout });
  const end = new Date();
  // Docker's record of a timed-out probe: exit code -1 and this message.
  const entry = timeout.aborted
    ? { exitCode: -1, output: `Health check exceeded timeout (${hc.timeoutMs}ms)` }
    : { exitCode: r.exitCode, output: r.stdout + r.stderr };
  const probe = { init, initStartedAtMs, entry: { start: start.toISOString(), end: end.toISOString(), ...entry } };
  const next = await updateRecord(paths, name, (cur) => ({
    ...cur,
    health: nextHealth(cur.health, probe, cur.healthcheck ?? hc),
  }));
  return { passed: entry.exitCode === 0, health: next.health! };
}
