/**
 * Rules a layer tar from outside must pass before a single byte of it is extracted, pure. The
 * archive is hostile: names climbing out (`../`, absolute), a symlink followed by an entry written
 * through it (`etc -> /etc`, then `etc/passwd`), device nodes, a name given twice (the second
 * would replace what the first checked), hard links to names outside the layer.
 */
import path from 'node:path';
import { ConductorError } from '../../errors.ts';
import type { TarEntry } from './tar-format.ts';
import { layerMarker } from './whiteouts.ts';

function refuse(where: string, raw: string, why: string): ConductorError {
  return new ConductorError('INVALID_ARCHIVE', `${where}: entry ${JSON.stringify(raw)} ${why}; nothing was imported`, {
    hint: 'the archive is damaged or hostile',
  });
}

/**
 * A member name as a relative path inside the layer ('' for the layer's root), or an error.
 *
 * @example
 * entryPath('./usr/bin/', 'layer 1'); // 'usr/bin'
 * entryPath('../etc/passwd', 'layer 1'); // throws INVALID_ARCHIVE
 */
export function entryPath(raw: string, where: string): string {
  if (raw.includes('\0')) throw refuse(where, raw, 'contains a NUL byte');
  if (raw.startsWith('/')) throw refuse(where, raw, 'is an absolute path');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse(where, raw, 'climbs out of the layer (..)');
  return parts.join('/');
}

/** A hard link's target, relative to the layer (tar stores it as a member name). */
function linkTarget(raw: string, where: string, entry: string): string {
  if (raw.startsWith('/')) throw refuse(where, entry, `is a hard link to an absolute path ${JSON.stringify(raw)}`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw refuse(where, entry, `is a hard link climbing out of the layer (${JSON.stringify(raw)})`);
  return parts.join('/');
}

export interface LayerChecker {
  /** Check the next header; returns the normalised path. Throws INVALID_ARCHIVE. */
  check(e: TarEntry, raw: string): string;
  /** Whether the layer says anything about whiteouts (so import knows to convert them). */
  hasWhiteouts(): boolean;
}

/**
 * A checker for one layer's entries, in archive order.
 *
 * @example
 * const c = layerChecker('layer 2 of "x.tar"');
 * for (const [e, raw] of headers) c.check(e, raw);
 */
export function layerChecker(where: string): LayerChecker {
  const kinds = new Map<string, TarEntry['type']>();
  /** Named by an entry of their own (the others only as a parent of one). */
  const named = new Set<string>();
  let whiteouts = false;
  return {
    check(e, raw) {
      const rel = entryPath(raw, where);
      if (rel === '') {
        if (e.type !== 'dir') throw refuse(where, raw, 'names the layer root as a non-directory');
        if (named.has('')) throw refuse(where, raw, 'appears twice');
        named.add('');
        return rel;
      }
      if (e.type === 'char' || e.type === 'block')
        throw refuse(where, raw, 'is a device node (not allowed in an imported layer)');
      if (named.has(rel)) throw refuse(where, raw, 'appears twice');
      if (kinds.has(rel) && e.type !== 'dir')
        throw refuse(where, raw, 'replaces a directory that earlier entries are in');
      // Every ancestor named by the archive must be a real directory: extracting through a symlink
      // (or a file) would write wherever it points.
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        const anc = parts.slice(0, i).join('/');
        const k = kinds.get(anc);
        if (k !== undefined && k !== 'dir')
          throw refuse(
            where,
            raw,
            `goes through "${anc}", which is a ${k === 'symlink' ? 'symbolic link' : k} in this layer`,
          );
        if (k === undefined) kinds.set(anc, 'dir'); // tar creates it as a directory
      }
      if (e.type === 'hardlink') {
        const target = linkTarget(e.linkname ?? '', where, raw);
        if (kinds.get(target) !== 'file')
          throw refuse(
            where,
            raw,
            `is a hard link to ${JSON.stringify(e.linkname)}, which is not an earlier regular file of this layer`,
          );
      }
      if (e.type === 'symlink' && (e.linkname ?? '') === '')
        throw refuse(where, raw, 'is a symbolic link with an empty target');
      let marker: ReturnType<typeof layerMarker>;
      try {
        marker = layerMarker(rel);
      } catch {
        throw refuse(where, raw, 'is not a valid whiteout');
      }
      if (marker) {
        if (e.type !== 'file') throw refuse(where, raw, 'is a whiteout that is not a regular file');
        whiteouts = true;
        if (marker.kind === 'whiteout' && kinds.has(marker.target))
          throw refuse(where, raw, `deletes "${marker.target}", which the same layer adds`);
      }
      kinds.set(rel, e.type === 'hardlink' ? 'file' : e.type);
      named.add(rel);
      return rel;
    },
    hasWhiteouts: () => whiteouts,
  };
}

/** A path inside the layer as an absolute host path under `root`, for messages and effects. */
export function under(root: string, rel: string): string {
  return rel === '' ? root : path.join(root, ...rel.split('/'));
}
