/** The commands that end containers: stop (in parallel) and prune. */
import { flag, str, UsageError } from './args.ts';
import { DRY_RUN, need, type Command } from './common.ts';

function seconds(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid timeout "${v}" (whole seconds)`);
  return Number(v);
}

export const REMOVE_COMMANDS: Record<string, Command> = {
  stop: {
    usage: 'stop <container>... [-t SECONDS] [-s SIGNAL] [--all] [--ignore] [--dry-run]',
    summary: 'stop containers and remove all they made',
    options: [
      {
        long: 'time',
        short: 't',
        value: true,
        metavar: 'SECONDS',
        help: 'wait this long after the stop signal before SIGKILL (default 10)',
      },
      {
        long: 'signal',
        short: 's',
        value: true,
        metavar: 'SIG',
        help: "send this first (default: the image's STOPSIGNAL, else SIGTERM)",
      },
      { long: 'all', help: 'stop every container' },
      { long: 'ignore', help: 'a missing container is not an error' },
      DRY_RUN,
    ],
    async handler(a, io) {
      const names = flag(a.options, 'all') ? (await io.sdk.ps({ all: true })).map((c) => c.name) : a.positionals;
      if (names.length === 0 && !flag(a.options, 'all')) throw new UsageError('missing container name');
      const timeoutSeconds = seconds(str(a.options, 'time'), 10);
      const dryRun = flag(a.options, 'dry-run');
      // In parallel, as docker and podman stop: N containers take one grace period, not N. Each is reported
      // as it ends; a failure does not keep the others running, and the first one is the command's error.
      const { failed } = await io.sdk.stopMany(names, {
        timeoutSeconds,
        signal: str(a.options, 'signal'),
        ignoreMissing: flag(a.options, 'ignore'),
        leaveCreating: flag(a.options, 'all'),
        dryRun,
        onStopped(r) {
          if (dryRun && r.plan) io.out(r.plan.join('\n') + '\n');
          else if (r.skipped === 'creating') io.log.info(`${r.name}: still being created, left alone`);
          else if (r.killed) io.out(`${r.name} killed after ${timeoutSeconds} s (${r.exitCode ?? 137})\n`);
          else {
            const how = r.exitCode === null ? 'not running' : `exit ${r.exitCode}`;
            io.out(`${r.name} stopped: ${how}${r.oomKilled ? ' (out of memory)' : ''}\n`);
          }
        },
      });
      for (const f of failed.slice(1)) io.log.error(`${f.name}: ${(f.error as Error).message}`);
      if (failed[0]) throw failed[0].error;
      return 0;
    },
  },
  prune: {
    usage: 'prune [--dry-run]',
    summary: 'remove what exited or half-created containers left behind',
    options: [DRY_RUN],
    async handler(a, io) {
      need(a, 0, '');
      const r = await io.sdk.prune({ dryRun: flag(a.options, 'dry-run') });
      io.out((r.plan ?? r.removed).map((l) => `${l}\n`).join(''));
      io.log.info(`${r.plan ? 'would prune' : 'pruned'} ${r.removed.length} containers`);
      for (const n of r.creating) io.log.info(`kept "${n}": still being created`);
      return 0;
    },
  },
};
