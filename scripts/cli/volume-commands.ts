/** `volume create|ls|inspect|rm|prune`, `cp`, and run's mount options (-v, --mount, --tmpfs, --read-only). */
import * as sdk from '../../sdk/index.ts';
import { flag, list, UsageError, type OptionSpec, type ParsedArgs } from './args.ts';
import { ago, table } from './format.ts';
import type { Command } from './commands.ts';

export const MOUNT_OPTIONS: OptionSpec[] = [
  {
    long: 'volume',
    short: 'v',
    value: true,
    repeat: true,
    metavar: 'SRC:DST[:ro]',
    help: 'bind a host path (absolute) or mount a named volume (created on first use)',
  },
  {
    long: 'mount',
    value: true,
    repeat: true,
    metavar: 'SPEC',
    help: 'type=bind|volume|tmpfs,source=...,target=...[,readonly]',
  },
  {
    long: 'tmpfs',
    value: true,
    repeat: true,
    metavar: 'DST[:OPTS]',
    help: 'mount a tmpfs (default size=64m; e.g. /run:size=8m,mode=1777)',
  },
  { long: 'read-only', help: 'mount the root filesystem read-only (mounts keep their own mode)' },
];

/** Run's mounts, in the order given per kind (the helper mounts parents first). */
export function mountsOf(o: ParsedArgs['options']): sdk.Mount[] {
  return [
    ...list(o, 'volume').map(sdk.parseVolumeFlag),
    ...list(o, 'mount').map(sdk.parseMountFlag),
    ...list(o, 'tmpfs').map(sdk.parseTmpfsFlag),
  ];
}

const JSON_OPT: OptionSpec = { long: 'json', help: 'print JSON' };

export const VOLUME_COMMAND: Command = {
  usage: 'volume create|ls|inspect|rm|prune [NAME...] [--json]',
  summary: 'manage named volumes (kept across stop, prune and rmcache)',
  options: [JSON_OPT, { long: 'quiet', short: 'q', help: 'ls: names only' }],
  async handler(a, io) {
    const [sub, ...names] = a.positionals;
    const json = flag(a.options, 'json');
    const needNames = () => {
      if (names.length === 0) throw new UsageError(`volume ${sub}: missing volume name`);
      return names;
    };
    switch (sub) {
      case 'create':
        for (const n of needNames()) io.out(`${(await sdk.createVolume(n, { log: io.log })).name}\n`);
        return 0;
      case 'ls':
      case 'list': {
        if (names.length) throw new UsageError(`unexpected argument "${names[0]}"`);
        const vs = await sdk.volumes();
        if (json) io.out(JSON.stringify(vs, null, 2) + '\n');
        else if (flag(a.options, 'quiet')) io.out(vs.map((v) => `${v.name}\n`).join(''));
        else
          io.out(
            table(
              ['NAME', 'USED BY', 'CREATED', 'MOUNTPOINT'],
              vs.map((v) => [v.name, v.usedBy.join(',') || '-', ago(v.createdAt), v.mountpoint]),
            ),
          );
        return 0;
      }
      case 'inspect': {
        const infos = [];
        for (const n of needNames()) infos.push(await sdk.inspectVolume(n));
        io.out(JSON.stringify(infos, null, 2) + '\n');
        return 0;
      }
      case 'rm':
      case 'remove':
        for (const n of needNames()) {
          await sdk.removeVolume(n);
          io.out(`${n}\n`);
        }
        return 0;
      case 'prune': {
        if (names.length) throw new UsageError(`unexpected argument "${names[0]}"`);
        const r = await sdk.pruneVolumes();
        io.out(r.removed.map((n) => `${n}\n`).join(''));
        io.log.info(`removed ${r.removed.length} unused volumes`);
        return 0;
      }
      default:
        throw new UsageError(
          sub === undefined
            ? 'missing subcommand (create, ls, inspect, rm, prune)'
            : `unknown subcommand "${sub}" (create, ls, inspect, rm, prune)`,
        );
    }
  },
};

/** `container:path` → [container, path]; a local path with ':' must start with / or . (Docker's rule). */
function splitSide(s: string): [string, string] | null {
  if (s.startsWith('/') || s.startsWith('.')) return null;
  const m = /^([^:/]+):(.*)$/.exec(s);
  return m ? [m[1]!, m[2]!] : null;
}

export const CP_COMMAND: Command = {
  usage: 'cp [-a] SRC DST   (CONTAINER:PATH on one side; - for a tar stream on stdin/stdout)',
  summary: 'copy files between a running container and the host',
  options: [{ long: 'archive', short: 'a', help: 'keep owners (uid/gid); modes and times are always kept' }],
  async handler(a, io) {
    if (a.positionals.length !== 2) throw new UsageError('expected SRC and DST');
    const [src, dst] = a.positionals as [string, string];
    const from = splitSide(src);
    const to = splitSide(dst);
    if ((from === null) === (to === null)) throw new UsageError('exactly one of SRC and DST must be CONTAINER:PATH');
    const opts = { archive: flag(a.options, 'archive'), log: io.log };
    if (from) {
      if (dst === '-') await sdk.copyFrom(from[0], from[1], process.stdout, opts);
      else await sdk.copyFrom(from[0], from[1], dst, opts);
    } else {
      await sdk.copyTo(to![0], src === '-' ? process.stdin : src, to![1], opts);
    }
    return 0;
  },
};
