/** `logs` and `wait`: reading what a container printed, and waiting for it to end. */
import * as sdk from '../../sdk/index.ts';
import { flag, str, UsageError } from './args.ts';
import type { Command } from './commands.ts';

function one(positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError('missing container name');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  return positionals[0]!;
}

export const LOG_COMMANDS: Record<string, Command> = {
  logs: {
    usage: 'logs <container> [-f] [--tail N] [--since 10s|RFC3339] [-t|--timestamps]',
    summary: "print a detached container's output (-f: follow until it stops)",
    options: [
      { long: 'follow', short: 'f', help: 'keep printing until the container stops' },
      { long: 'tail', short: 'n', value: true, metavar: 'N', help: 'only the last N lines' },
      {
        long: 'since',
        value: true,
        metavar: 'WHEN',
        help: 'only lines since a duration ago (10s, 5m, 1h) or an RFC 3339 time',
      },
      { long: 'timestamps', short: 't', help: 'prefix each line with the time it was written' },
    ],
    async handler(a, io) {
      const name = one(a.positionals);
      const tailArg = str(a.options, 'tail');
      if (tailArg !== undefined && !/^\d+$/.test(tailArg))
        throw new UsageError(`invalid --tail "${tailArg}" (a whole number of lines)`);
      const opts: sdk.LogsOptions = {
        follow: flag(a.options, 'follow'),
        timestamps: flag(a.options, 'timestamps'),
        since: str(a.options, 'since'),
      };
      if (tailArg !== undefined) opts.tail = Number(tailArg);
      if (!opts.follow && !opts.timestamps && opts.since === undefined && opts.tail === undefined) {
        await io.pipeOut(sdk.logStream(name)); // the bytes as written, partial last line included
        return 0;
      }
      if (opts.since !== undefined) sdk.parseSince(opts.since, Date.now()); // a bad value fails before any output
      await io.pipeOut(sdk.logs(name, opts).stream());
      return 0;
    },
  },
  wait: {
    usage: 'wait <container>...',
    summary: "block until each container's command exits; print its exit code",
    options: [],
    async handler(a, io) {
      if (a.positionals.length === 0) throw new UsageError('missing container name');
      for (const name of a.positionals) await sdk.inspect(name); // every name exists before any wait
      // As `docker wait`: one exit code per line, in argument order; wait itself exits 0.
      for (const name of a.positionals) io.out(`${(await sdk.wait(name)) ?? ''}\n`);
      return 0;
    },
  },
};
