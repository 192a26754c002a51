/**
 * Healthcheck rules, pure: Docker's durations and option checks (dockerfile parser's
 * parseOptInterval, the CLI's --health-*), and how `run` merges its --health-* with the image's
 * HEALTHCHECK (daemon `merge`), defaults filled in as the daemon's health monitor does.
 */
import { ConductorError } from '../errors.ts';
import type { HealthcheckConfig, HealthOverrides, ImageHealthcheck } from '../types.ts';
import { DEFAULT_SHELL } from './image-config.ts';

/**
 * Docker's defaults (daemon/health.go) for what neither the image nor run sets.
 * @example HEALTH_DEFAULTS.retries; // 3
 */
export const HEALTH_DEFAULTS = Object.freeze({ intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3 });

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
});

/**
 * Go's time.ParseDuration, in milliseconds: `30s`, `1m30s`, `1.5h`, `500ms`, `0`; null if not one.
 * @example parseDuration('1m30s'); // 90000
 */
export function parseDuration(text: string): number | null {
  const m = /^([-+]?)(.*)$/.exec(text)!;
  if (m[2] === '0') return 0;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  const body = m[2]!;
  if (body === '') return null;
  while (at < body.length) {
    part.lastIndex = at;
    const p = part.exec(body);
    if (!p) return null;
    ms += Number(p[1]) * UNIT_MS[p[2]!]!;
    at = part.lastIndex;
  }
  return m[1] === '-' ? -ms : ms;
}

export type HealthOption = 'interval' | 'timeout' | 'start-period' | 'retries';

/**
 * One HEALTHCHECK flag or `run --health-*` value: a duration of at least 1 ms (0: the default) or
 * retries ≥ 0 (0: the default). INVALID_ARGUMENT naming the option and the fix otherwise.
 * @example healthOption('interval', '5s'); // 5000
 */
export function healthOption(option: HealthOption, value: string): number {
  if (option === 'retries') {
    if (!/^\d+$/.test(value))
      throw new ConductorError('INVALID_ARGUMENT', `retries ${JSON.stringify(value)} is not a whole number`, {
        hint: 'e.g. 3; 0 takes the default',
      });
    return Number(value);
  }
  const ms = parseDuration(value);
  if (ms === null)
    throw new ConductorError('INVALID_ARGUMENT', `${option} ${JSON.stringify(value)} is not a duration`, {
      hint: 'e.g. 30s, 1m30s or 500ms',
    });
  if (ms !== 0 && ms < 1)
    throw new ConductorError('INVALID_ARGUMENT', `${option} ${JSON.stringify(value)} is less than 1ms`, {
      hint: 'give at least 1ms, or 0 for the default',
    });
  return ms;
}

export type { HealthOverrides };

const hasOverride = (o: HealthOverrides): boolean =>
  o.cmd !== undefined ||
  o.intervalMs !== undefined ||
  o.timeoutMs !== undefined ||
  o.startPeriodMs !== undefined ||
  o.retries !== undefined;

/**
 * INVALID_ARGUMENT for `disable` with other options, a duration that is not 0 or at least 1 ms,
 * or retries that are not a whole number ≥ 0.
 * @example checkHealthOverrides({ cmd: 'true', intervalMs: 1000 }); // fine
 */
export function checkHealthOverrides(o: HealthOverrides): void {
  if (o.disable && hasOverride(o))
    throw new ConductorError('INVALID_ARGUMENT', '--no-healthcheck conflicts with --health-* options', {
      hint: 'drop one of them',
    });
  for (const k of ['intervalMs', 'timeoutMs', 'startPeriodMs'] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isFinite(v) && (v === 0 || v >= 1)))
      throw new ConductorError('INVALID_ARGUMENT', `health ${k} ${v} is not 0 or at least 1 ms`, {
        hint: '0 takes the default',
      });
  }
  if (o.retries !== undefined && !(Number.isInteger(o.retries) && o.retries >= 0))
    throw new ConductorError('INVALID_ARGUMENT', `health retries ${o.retries} is not a whole number`, {
      hint: '0 takes the default (3)',
    });
}

/**
 * The container's healthcheck, Docker's rules: each --health-* replaces the image's field, a field
 * neither sets (or sets to 0) takes the default; `disable` (or an image's NONE with no --health-cmd)
 * means none. INVALID_ARGUMENT for `disable` with other options, or options without any command.
 * @example
 * mergeHealthcheck({ test: ['CMD', 'true'], retries: 5 }, { intervalMs: 1000 }, ['/bin/sh', '-c']);
 * // { test: ['CMD', 'true'], intervalMs: 1000, timeoutMs: 30000, startPeriodMs: 0, retries: 5 }
 */
export function mergeHealthcheck(
  image: ImageHealthcheck | undefined,
  user: HealthOverrides,
  shell: readonly string[],
): HealthcheckConfig | undefined {
  checkHealthOverrides(user);
  if (user.disable) return undefined;
  const test = user.cmd !== undefined ? ['CMD-SHELL', user.cmd] : image?.test;
  if (test === undefined || test[0] === 'NONE' || test.length === 0) {
    if (hasOverride(user))
      throw new ConductorError(
        'INVALID_ARGUMENT',
        'the --health-* options need a command: the image has no HEALTHCHECK',
        {
          hint: 'add --health-cmd CMD',
        },
      );
    return undefined;
  }
  const pick = (k: keyof typeof HEALTH_DEFAULTS): number => user[k] || image?.[k] || HEALTH_DEFAULTS[k];
  const out: HealthcheckConfig = {
    test: [...test],
    intervalMs: pick('intervalMs'),
    timeoutMs: pick('timeoutMs'),
    startPeriodMs: pick('startPeriodMs'),
    retries: pick('retries'),
  };
  if (test[0] === 'CMD-SHELL' && shell.join('\0') !== DEFAULT_SHELL.join('\0')) out.shell = [...shell];
  return out;
}

/**
 * The argv a healthcheck runs inside the container: `CMD` as is, `CMD-SHELL` through the shell.
 * @example healthArgv({ ...HEALTH_DEFAULTS, test: ['CMD-SHELL', 'test -e /tmp/ok'] }); // ['/bin/sh', '-c', 'test -e /tmp/ok']
 */
export function healthArgv(h: Pick<HealthcheckConfig, 'test' | 'shell'>): string[] {
  const [kind, ...rest] = h.test;
  return kind === 'CMD-SHELL' ? [...(h.shell ?? DEFAULT_SHELL), rest.join(' ')] : rest;
}
