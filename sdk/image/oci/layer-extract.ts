/**
 * Extract a layer that scanLayer has passed into an empty overlay upper dir with GNU tar (it
 * restores modes, numeric owners, mtimes, hard links and file capabilities), then turn OCI's
 * whiteouts into overlay's: `.wh.x` → a 0/0 character device `x`, `.wh..wh..opq` → the xattr
 * trusted.overlay.opaque=y on its directory. Only security.capability and user.* xattrs are
 * restored: a layer must not smuggle in trusted.overlay.* (redirects, origins) of its own.
 */
import { rmSync } from 'node:fs';
import { sh } from '../../host/sh.ts';
import { under } from './entry-rules.ts';
import type { ScannedLayer } from './layer-scan.ts';
import { setXattr } from './xattrs.ts';
import { OPAQUE_MARKER, whiteoutFor } from './whiteouts.ts';

export async function extractLayer(file: string, scanned: ScannedLayer, diff: string): Promise<void> {
  await sh([
    'tar',
    '-x',
    ...(scanned.gzip ? ['-z'] : []),
    '-f',
    file,
    '-C',
    diff,
    '--numeric-owner',
    '--same-owner',
    '--same-permissions',
    '--no-overwrite-dir',
    '--xattrs',
    '--xattrs-include=security.capability',
    '--xattrs-include=user.*',
    '--xattrs-exclude=user.overlay.*',
    '--warning=no-unknown-keyword',
  ]);
  for (const m of scanned.markers) {
    if (m.kind === 'whiteout') {
      rmSync(under(diff, whiteoutFor(m.target)));
      await sh(['mknod', '-m', '000', under(diff, m.target), 'c', '0', '0']);
    } else {
      rmSync(under(diff, m.dir === '' ? OPAQUE_MARKER : `${m.dir}/${OPAQUE_MARKER}`));
      if (m.dir !== '') await setXattr(under(diff, m.dir), 'trusted.overlay.opaque', 'y');
    }
  }
}
