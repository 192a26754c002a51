/** Healthchecks on the command line: run's --health-* options, and `healthcheck run` (podman's probe). */
import * as sdk from '../../sdk/index.ts';
import { flag, str, UsageError, type OptionSpec, type ParsedArgs } from './args.ts';
import { need, type Command } from './common.ts';

/** run's options, Docker's names. */
export const HEALTH_OPTIONS: OptionSpec[] = [
  { long: 'health-cmd', value: true, metavar: 'CMD', help: "healthcheck command, shell form (over the image's)" },
  { long: 'health-interval', value: true, metavar: 'D', help: 'time between checks, e.g. 30s (default 30s)' },
  { long: 'health-timeout', value: true, metavar: 'D', help: 'a check running longer fails (default 30s)' },
  {
    long: 'health-start-period',
    value: true,
    metavar: 'D',
    help: 'failures in this time after start do not count (default 0s)',
  },
  { long: 'health-retries', value: true, metavar: 'N', help: 'consecutive failures that make it unhealthy (3)' },
  { long: 'no-healthcheck', help: "disable the image's HEALTHCHECK" },
];

const FIELDS = [
  ['health-interval', 'interval', 'intervalMs'],
  ['health-timeout', 'timeout', 'timeoutMs'],
  ['health-start-period', 'start-period', 'startPeriodMs'],
  ['health-retries', 'retries', 'retries'],
] as const;

/**
 * run's health options as the SDK's overrides; undefined when none is given.
 * @example healthOf({ 'health-cmd': 'true', 'health-retries': '2' }); // { cmd: 'true', retries: 2 }
 */
export function healthOf(o: ParsedArgs['options']): sdk.HealthOverrides | undefined {
  const h: sdk.HealthOverrides = {};
  if (str(o, 'health-cmd') !== undefined) h.cmd = str(o, 'health-cmd')!;
  for (const [long, option, field] of FIELDS) {
    const v = str(o, long);
    if (v === undefined) continue;
    try {
      h[field] = sdk.healthOption(option, v);
    } catch (e) {
      if (sdk.isConductorError(e, 'INVALID_ARGUMENT')) throw new UsageError(`--${long}: ${e.message}`);
      throw e;
    }
  }
  if (flag(o, 'no-healthcheck')) h.disable = true;
  return Object.keys(h).length > 0 ? h : undefined;
}

export const HEALTH_COMMANDS: Record<string, Command> = {
  healthcheck: {
    usage: 'healthcheck run <container>',
    summary: "run a container's healthcheck once and record it (exit 0: passed; 1: failed, its status printed)",
    options: [],
    async handler(a, io) {
      const [sub, name] = need(a, 2, 'subcommand and container name (healthcheck run <container>)');
      if (sub !== 'run') throw new UsageError(`unknown subcommand "healthcheck ${sub}" (supported: healthcheck run)`);
      const r = await io.sdk.runHealthcheck(name!, { log: io.log });
      if (r.passed) return 0;
      io.out(`${r.health.status}\n`);
      return 1;
    },
  },
};
