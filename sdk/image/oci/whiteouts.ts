/**
 * Whiteouts, pure: overlayfs marks a deleted name with a 0/0 character device and a directory
 * that hides everything below it with the xattr trusted.overlay.opaque=y; OCI layers say the same
 * with an empty `.wh.<name>` file and a `.wh..wh..opq` file inside the directory
 * (image-spec layer.md, "Whiteouts"). Export converts one way, import the other.
 */
import path from 'node:path';
import { ConductorError } from '../../errors.ts';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** The xattr overlayfs sets on an opaque directory (also user.overlay.opaque with userxattr). */
const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];
/** Set only when the overlay was mounted with redirect_dir or metacopy: not exportable as a diff. */
const UNEXPORTABLE = /^(trusted|user)\.overlay\.(redirect|metacopy)$/;

export type UpperKind = 'whiteout' | 'opaque-dir' | 'plain';

export interface UpperStat {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  rdevMajor: number;
  rdevMinor: number;
}

/**
 * What an entry of an overlay upper dir means for an OCI layer.
 *
 * @example
 * upperKind('etc/old', { type: 'char', rdevMajor: 0, rdevMinor: 0 }, {}); // 'whiteout'
 */
export function upperKind(rel: string, st: UpperStat, xattrs: Record<string, Buffer>): UpperKind {
  for (const k of Object.keys(xattrs)) {
    if (UNEXPORTABLE.test(k)) {
      throw new ConductorError(
        'INVALID_ARGUMENT',
        `layer entry "/${rel}" has ${k} (made by an overlay with redirect_dir or metacopy on)`,
        {
          hint: 'rebuild the image: conductor now mounts overlays with redirect_dir=off,metacopy=off',
        },
      );
    }
  }
  if (st.type === 'char' && st.rdevMajor === 0 && st.rdevMinor === 0) return 'whiteout';
  if (st.type === 'dir' && OPAQUE_XATTRS.some((k) => xattrs[k]?.toString() === 'y')) return 'opaque-dir';
  return 'plain';
}

/**
 * The xattrs an OCI layer carries: file capabilities and user.* attributes; never overlayfs's own
 * (`*.overlay.*`: origin, impure, opaque...), nor the host's SELinux label.
 */
export function keptXattrs(xattrs: Record<string, Buffer>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const k of Object.keys(xattrs).sort()) {
    if (/^(trusted|user)\.overlay\./.test(k)) continue;
    if (k === 'security.capability' || k.startsWith('user.')) out[k] = xattrs[k]!;
  }
  return out;
}

/** `a/b` → `a/.wh.b`. */
export function whiteoutFor(rel: string): string {
  const dir = path.posix.dirname(rel);
  const name = `${WHITEOUT_PREFIX}${path.posix.basename(rel)}`;
  return dir === '.' ? name : `${dir}/${name}`;
}

export type LayerMarker = { kind: 'opaque'; dir: string } | { kind: 'whiteout'; target: string } | null;

/**
 * Whether an OCI layer entry is a whiteout: `d/.wh..wh..opq` makes `d` opaque, `d/.wh.x` deletes
 * `d/x`. Returns null for an ordinary entry. `rel` is already normalised ('' = the layer's root).
 *
 * @example
 * layerMarker('etc/.wh.motd'); // { kind: 'whiteout', target: 'etc/motd' }
 */
export function layerMarker(rel: string): LayerMarker {
  const base = path.posix.basename(rel);
  if (!base.startsWith(WHITEOUT_PREFIX)) return null;
  const dir = path.posix.dirname(rel);
  const inDir = (n: string) => (dir === '.' ? n : `${dir}/${n}`);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir: dir === '.' ? '' : dir };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..' || name.startsWith(WHITEOUT_PREFIX)) {
    throw new ConductorError('INVALID_ARCHIVE', `layer entry "${rel}" is not a valid whiteout`);
  }
  return { kind: 'whiteout', target: inDir(name) };
}
