/** The network commands of the command table: addnetwork, peer, unpeer. */
import * as sdk from '../../sdk/index.ts';
import { flag, list } from './args.ts';
import { DRY_RUN, need, type Command } from './common.ts';

export const networkCommands: Record<string, Command> = {
  addnetwork: {
    usage: 'addnetwork <container> [-i|--internet] [-e|--expose IN-OUT]... [--allow-host PORT]... [--dry-run]',
    summary: 'give a running container a network (NAT to the internet, published ports)',
    options: [
      { long: 'internet', short: 'i', help: 'route to the internet through NAT' },
      {
        long: 'expose',
        short: 'e',
        value: true,
        repeat: true,
        metavar: 'IN-OUT',
        help: 'publish container port IN on host port OUT (e.g. 8080-3000)',
      },
      {
        long: 'allow-host',
        value: true,
        repeat: true,
        metavar: 'PORT',
        help: 'let the container reach host TCP port PORT (host services are closed to containers by default)',
      },
      DRY_RUN,
      { long: 'plan', help: 'same as --dry-run' },
    ],
    async handler(a, io) {
      const [name] = need(a, 1, 'container name');
      const dryRun = flag(a.options, 'dry-run') || flag(a.options, 'plan');
      const expose = list(a.options, 'expose').map(sdk.parseExposeSpec);
      const allowHost = sdk.validateHostPorts(list(a.options, 'allow-host'));
      const r = await io.sdk.addNetwork(name!, {
        internet: flag(a.options, 'internet'),
        expose,
        allowHost,
        dryRun,
        log: io.log,
      });
      if (dryRun && r.plan) io.out(r.plan.join('\n') + '\n');
      else io.out(`${r.ip}\n`);
      return 0;
    },
  },
  peer: {
    usage: 'peer <container1> <container2> [--dry-run]',
    summary: 'let two networked containers reach each other (by name too)',
    options: [DRY_RUN],
    async handler(a, io) {
      const [x, y] = need(a, 2, 'two container names');
      const r = await io.sdk.peer(x!, y!, { dryRun: flag(a.options, 'dry-run'), log: io.log });
      if (r?.plan) io.out(r.plan.join('\n') + '\n');
      return 0;
    },
  },
  unpeer: {
    usage: 'unpeer <container1> <container2>',
    summary: 'undo peer',
    options: [],
    async handler(a, io) {
      const [x, y] = need(a, 2, 'two container names');
      await io.sdk.unpeer(x!, y!, { log: io.log });
      return 0;
    },
  },
};
