/** The image commands: build, image inspect, images, rmi, rmcache. */
import * as sdk from '../../sdk/index.ts';
import { flag, list, str, UsageError } from './args.ts';
import { FORMAT_OPT, JSON_OPT, need, printInspect, type Command, DRY_RUN } from './common.ts';
import { ago, bytes, table } from './format.ts';
import { TLS_OPT, tlsVerify } from './oci-commands.ts';

export const IMAGE_COMMANDS: Record<string, Command> = {
  build: {
    usage:
      'build <image> [conductorfile] [--pull] [--tls-verify=false] [--context DIR] [--build-arg K=V]... ' +
      '[--target STAGE] [--no-cache] [--network host] [-q] [--dry-run]',
    summary: 'build an image from a Conductorfile (default ./Conductorfile)',
    options: [
      { long: 'context', value: true, metavar: 'DIR', help: 'build context (default: the current directory)' },
      {
        long: 'build-arg',
        value: true,
        repeat: true,
        metavar: 'K=V',
        help: 'a value for an ARG (an undeclared one is a warning)',
      },
      {
        long: 'target',
        value: true,
        metavar: 'STAGE',
        help: 'build up to this stage (FROM ... AS STAGE) and make it the image',
      },
      { long: 'no-cache', help: 'rebuild every layer' },
      {
        long: 'network',
        value: true,
        metavar: 'MODE',
        help: "'host': RUN steps use the host's network (default: their own, NAT to the internet)",
      },
      { long: 'pull', help: 'FROM a registry image: pull it again even if it was pulled before' },
      TLS_OPT,
      { long: 'quiet', short: 'q', help: "print only the image's id (on stdout), and errors" },
      DRY_RUN,
    ],
    async handler(a, io) {
      if (a.positionals.length < 1 || a.positionals.length > 2)
        throw new UsageError('expected <image> [conductorfile]');
      const [name, file] = a.positionals;
      const netOpt = str(a.options, 'network');
      if (netOpt !== undefined && netOpt !== 'host' && netOpt !== 'nat')
        throw new UsageError(`invalid --network "${netOpt}" (use host, or nat: the default)`);
      const buildArgs: Record<string, string> = {};
      for (const kv of list(a.options, 'build-arg')) {
        const i = kv.indexOf('=');
        // docker build --build-arg K (no value) takes K from the caller's environment.
        const value = i < 0 ? process.env[kv] : kv.slice(i + 1);
        const key = i < 0 ? kv : kv.slice(0, i);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
          throw new UsageError(`invalid --build-arg "${kv}" (want NAME=VALUE)`);
        if (value !== undefined) buildArgs[key] = value;
      }
      const quiet = flag(a.options, 'quiet');
      const log = quiet ? sdk.createLogger({ quiet: true }) : io.log;
      const common = {
        file: file ?? 'Conductorfile',
        context: str(a.options, 'context'),
        noCache: flag(a.options, 'no-cache'),
        network: netOpt as 'nat' | 'host' | undefined,
        buildArgs,
        target: str(a.options, 'target'),
        pull: flag(a.options, 'pull'),
        tlsVerify: tlsVerify(a),
        log,
      };
      if (flag(a.options, 'dry-run')) {
        const { plan } = await io.sdk.buildImage(name!, { ...common, dryRun: true });
        io.out(plan.join('\n') + '\n');
        return 0;
      }
      const ac = new AbortController();
      const onSig = () => ac.abort();
      process.on('SIGINT', onSig);
      process.on('SIGTERM', onSig);
      try {
        const img = await io.sdk.buildImage(name!, { ...common, signal: ac.signal });
        if (quiet) io.out(`${img.id}\n`);
      } finally {
        process.off('SIGINT', onSig);
        process.off('SIGTERM', onSig);
      }
      return 0;
    },
  },
  image: {
    usage: 'image inspect <image> [--json] [--format KEY]',
    summary:
      'show an image: config (env, cmd, entrypoint, workdir, user, ports, labels, stopSignal, healthcheck), layers, history, base',
    options: [JSON_OPT, FORMAT_OPT],
    async handler(a, io) {
      const [sub, name] = need(a, 2, 'subcommand and image name (image inspect <image>)');
      if (sub !== 'inspect') throw new UsageError(`unknown subcommand "image ${sub}" (supported: image inspect)`);
      printInspect(await io.sdk.inspectImage(name!), a, io);
      return 0;
    },
  },
  images: {
    usage: 'images [--json]',
    summary: 'list images',
    options: [JSON_OPT],
    async handler(a, io) {
      need(a, 0, '');
      const imgs = await io.sdk.images();
      if (flag(a.options, 'json')) io.out(JSON.stringify(imgs, null, 2) + '\n');
      else
        io.out(
          table(
            ['NAME', 'BASE', 'LAYERS', 'SIZE', 'CREATED'],
            imgs.map((i) => [
              i.name,
              `${i.base.distro}:${i.base.suite}`,
              String(i.layers.length),
              bytes(i.size),
              ago(i.createdAt),
            ]),
          ),
        );
      return 0;
    },
  },
  rmi: {
    usage: 'rmi <image> [--dry-run]',
    summary: 'remove an image and the layers no other image uses',
    options: [DRY_RUN],
    async handler(a, io) {
      const [name] = need(a, 1, 'image name');
      const r = await io.sdk.removeImage(name!, { dryRun: flag(a.options, 'dry-run') });
      if (r.plan) io.out(r.plan.join('\n') + '\n');
      else io.log.info(`removed image "${name}" (${r.removedLayers} unused layers deleted)`);
      for (const k of r.kept) io.log.info(`kept ${k}`);
      return 0;
    },
  },
  rmcache: {
    usage: 'rmcache [--all]',
    summary: 'remove cached bases, layers no image uses and the build caches (--all: images too)',
    options: [{ long: 'all', help: 'also remove every image' }],
    async handler(a, io) {
      need(a, 0, '');
      const r = await io.sdk.removeCache({ all: flag(a.options, 'all') });
      const bases = r.removedBases.length ? ` (${r.removedBases.join(', ')})` : '';
      const caches = r.removedBuildCaches.length ? ` (${r.removedBuildCaches.join(', ')})` : '';
      io.log.info(
        `removed ${r.removedLayers} unused layers, ${r.removedBases.length} bases${bases}, ` +
          `${r.removedBuildCaches.length} build caches${caches}`,
      );
      for (const k of r.kept) io.log.info(`kept ${k}`);
      return 0;
    },
  },
};
