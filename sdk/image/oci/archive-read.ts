/**
 * Unpack an image archive (oci-archive or docker-archive) into an empty directory with conductor's
 * own parser: only directories and regular files are written, every name passes entryPath (no
 * `..`, nothing absolute); symlinks (older `docker save` links duplicate layers) are kept as
 * aliases, resolved inside the archive, never created on disk.
 */
import { createReadStream, mkdirSync, openSync, closeSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConductorError } from '../../errors.ts';
import { entryPath } from './entry-rules.ts';
import { createTarParser, TarFormatError } from './tar-format.ts';

export interface UnpackedArchive {
  dir: string;
  /** Archive path → the path it is an alias of. */
  aliases: Map<string, string>;
}

export async function unpackArchive(file: string, dir: string): Promise<UnpackedArchive> {
  const where = `archive "${path.basename(file)}"`;
  const aliases = new Map<string, string>();
  const seen = new Set<string>();
  let fd: number | null = null;
  const parser = createTarParser({
    entry(e, raw) {
      const rel = entryPath(raw, where);
      if (rel === '') return;
      if (seen.has(rel))
        throw new ConductorError(
          'INVALID_ARCHIVE',
          `${where}: entry ${JSON.stringify(raw)} appears twice; nothing was imported`,
        );
      seen.add(rel);
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        if (aliases.has(parts.slice(0, i).join('/')))
          throw new ConductorError(
            'INVALID_ARCHIVE',
            `${where}: entry ${JSON.stringify(raw)} goes through a symbolic link; nothing was imported`,
          );
      }
      const abs = path.join(dir, ...parts);
      if (e.type === 'dir') mkdirSync(abs, { recursive: true, mode: 0o700 });
      else if (e.type === 'file') {
        mkdirSync(path.dirname(abs), { recursive: true, mode: 0o700 });
        fd = openSync(abs, 'wx', 0o600);
      } else if (e.type === 'symlink' || e.type === 'hardlink') {
        const target = e.type === 'hardlink' ? e.linkname! : path.posix.join(path.posix.dirname(rel), e.linkname!);
        aliases.set(rel, entryPath(path.posix.normalize(target), where));
      } else {
        throw new ConductorError(
          'INVALID_ARCHIVE',
          `${where}: entry ${JSON.stringify(raw)} is a ${e.type}, not a file; nothing was imported`,
        );
      }
    },
    data(chunk) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd!, chunk, off);
    },
    entryEnd() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  });
  try {
    for await (const chunk of createReadStream(file)) parser.push(chunk as Buffer);
    parser.end();
  } catch (e) {
    if (e instanceof TarFormatError)
      throw new ConductorError('INVALID_ARCHIVE', `${where} is not a valid tar: ${e.message}`);
    throw e;
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return { dir, aliases };
}

/** The on-disk file of an archive member, through at most a few aliases. */
export function memberFile(a: UnpackedArchive, member: string, where: string): string {
  let rel = entryPath(member, where);
  for (let i = 0; i < 8 && a.aliases.has(rel); i++) rel = a.aliases.get(rel)!;
  return path.join(a.dir, ...rel.split('/'));
}
