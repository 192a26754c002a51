/** `generate systemd`: a container as a systemd service, podman's habit. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { flag, str, UsageError } from './args.ts';
import type { Command } from './common.ts';

export const GENERATE_COMMANDS: Record<string, Command> = {
  generate: {
    usage: 'generate systemd <container> [--files] [-t SECONDS]',
    summary: 'print a systemd unit that runs a container at boot with its run options (--files: write it)',
    options: [
      { long: 'files', help: 'write container-<name>.service into the current directory and print its path' },
      {
        long: 'time',
        short: 't',
        value: true,
        metavar: 'SECONDS',
        help: "the unit's stop timeout before SIGKILL (default 10)",
      },
    ],
    async handler(a, io) {
      const [what, name, extra] = a.positionals;
      if (what !== 'systemd')
        throw new UsageError(what ? `unknown generator "${what}" (try: systemd)` : 'missing what');
      if (name === undefined) throw new UsageError('missing container name');
      if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
      const t = str(a.options, 'time');
      if (t !== undefined && !/^\d+$/.test(t)) throw new UsageError(`invalid timeout "${t}" (whole seconds)`);
      const unit = await io.sdk.generateSystemd(name, { stopTimeoutSeconds: t === undefined ? undefined : Number(t) });
      if (!flag(a.options, 'files')) {
        io.out(unit.text);
        return 0;
      }
      const file = path.resolve(unit.fileName);
      writeFileSync(file, unit.text);
      io.out(`${file}\n`);
      return 0;
    },
  },
};
