/** export, import, pull, push: images in and out (OCI archives, registries through skopeo). */
import * as sdk from '../../sdk/index.ts';
import { str, UsageError, type OptionSpec, type ParsedArgs } from './args.ts';
import type { Command } from './commands.ts';

export const TLS_OPT: OptionSpec = {
  long: 'tls-verify',
  value: true,
  metavar: 'BOOL',
  help: 'false: plain HTTP or an unverified certificate (default true)',
};

export function tlsVerify(a: ParsedArgs): boolean | undefined {
  const v = str(a.options, 'tls-verify');
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw new UsageError(`invalid --tls-verify "${v}" (true or false)`);
  return v === 'true';
}

function exactly(a: ParsedArgs, n: number, what: string): string[] {
  if (a.positionals.length !== n)
    throw new UsageError(a.positionals.length < n ? `missing ${what}` : `unexpected argument "${a.positionals[n]}"`);
  return a.positionals;
}

export const OCI_COMMANDS: Record<string, Command> = {
  export: {
    usage: 'export <image> -o FILE.tar [--tag REF] [--compress gzip]',
    summary: 'write an image as one OCI archive that podman, skopeo and docker load',
    options: [
      { long: 'output', short: 'o', value: true, metavar: 'FILE', help: 'the archive to write' },
      { long: 'tag', value: true, metavar: 'REF', help: 'the name it loads as (default localhost/<image>:latest)' },
      { long: 'compress', value: true, metavar: 'gzip', help: 'gzip the layers (default: uncompressed)' },
    ],
    async handler(a, io) {
      const [image] = exactly(a, 1, 'image name');
      const out = str(a.options, 'output');
      if (!out) throw new UsageError('missing -o FILE.tar');
      const c = str(a.options, 'compress');
      if (c !== undefined && c !== 'gzip' && c !== 'none')
        throw new UsageError(`invalid --compress "${c}" (gzip or none)`);
      const r = await sdk.exportImage(image!, out, {
        tag: str(a.options, 'tag'),
        compress: c as 'gzip' | 'none' | undefined,
        log: io.log,
      });
      io.log.info(`exported "${image}" as ${r.name} (${r.layers} layers, ${r.digest.slice(0, 19)})`);
      io.out(`${r.file}\n`);
      return 0;
    },
  },
  import: {
    usage: 'import <FILE.tar> <image>',
    summary: 'import an OCI or docker archive (conductor export, podman save) as an image',
    options: [],
    async handler(a, io) {
      const [file, name] = exactly(a, 2, 'archive and image name');
      const img = await sdk.importImage(file!, name!, { log: io.log });
      io.log.info(`imported "${name}" (${img.layers.length} layers)`);
      return 0;
    },
  },
  pull: {
    usage: 'pull <REF> [--name NAME] [--tls-verify=false]',
    summary: 'pull an image from a registry (name: the last path component of REF)',
    options: [{ long: 'name', value: true, metavar: 'NAME', help: 'local image name' }, TLS_OPT],
    async handler(a, io) {
      const [ref] = exactly(a, 1, 'image reference');
      const img = await sdk.pullImage(ref!, { name: str(a.options, 'name'), tlsVerify: tlsVerify(a), log: io.log });
      io.out(`${img.name}\n`);
      return 0;
    },
  },
  push: {
    usage: 'push <image> <REF> [--tls-verify=false]',
    summary: 'push an image to a registry',
    options: [TLS_OPT],
    async handler(a, io) {
      const [image, ref] = exactly(a, 2, 'image name and reference');
      const r = await sdk.pushImage(image!, ref!, { tlsVerify: tlsVerify(a), log: io.log });
      io.log.info(`pushed "${image}" to ${r.ref}`);
      return 0;
    },
  },
};
