import path from 'node:path';
import { ConductorError } from './errors.ts';

/** Linux's own limit on symlinks followed in one lookup is 40; securejoin allows 255. We follow securejoin. */
export const MAX_SYMLINK_HOPS = 255;

/**
 * Checks that a COPY source names something inside the build context, by string alone
 * (symlinks inside the context are checked later, by the code that reads the files).
 * Returns the source normalised and relative to the context, '.' for the context itself.
 * The answer does not depend on where the context lives; `context` is taken so call sites
 * read as the check they are.
 *
 * @example
 * checkSourceInContext('/src/app', './lib//a.ts', 'Conductorfile', 3); // 'lib/a.ts'
 * checkSourceInContext('/src/app', '../etc/passwd', 'Conductorfile', 3);
 * // throws PARSE_ERROR: Conductorfile:3: COPY source "../etc/passwd" is outside the build context
 */
export function checkSourceInContext(_context: string, source: string, fileName: string, line: number): string {
  const outside = (): ConductorError =>
    new ConductorError('PARSE_ERROR', `${fileName}:${line}: COPY source ${JSON.stringify(source)} is outside the build context`);
  if (source === '') {
    throw new ConductorError('PARSE_ERROR', `${fileName}:${line}: COPY source must not be empty`);
  }
  // Docker would read "/etc/passwd" as "<context>/etc/passwd"; we refuse it so nobody thinks it is the host's.
  if (path.posix.isAbsolute(source)) throw outside();
  // normalize, not resolve: resolving against a root directory would clamp "a/../../b" to "b".
  const rel = path.posix.normalize(source).replace(/(?<=.)\/+$/, '');
  if (rel === '..' || rel.startsWith('../')) throw outside();
  return rel;
}

/**
 * Joins a path from inside a container rootfs onto `root` as the container would see it:
 * symlinks are followed component by component (via the injected `readlink`), absolute link
 * targets are read relative to `root`, and `..` never climbs above `root` — so the result
 * always lies inside `root`, whatever the image contains (the CVE-2018-15664 class of
 * `docker cp` escapes). A port of github.com/cyphar/filepath-securejoin's SecureJoinVFS.
 *
 * `readlink(p)` gets a host path under `root` and returns the link's target, or null when
 * `p` is not a symlink or does not exist. The result is cleaned: no trailing slash.
 *
 * Between this join and the later open, the rootfs must not be changed by anyone
 * untrusted (build steps are not running while COPY runs), or the check can be raced.
 *
 * @example
 * const links: Record<string, string> = { '/r/target': '/etc' };
 * secureJoin('/r', '/target/passwd', (p) => links[p] ?? null); // '/r/etc/passwd'
 * secureJoin('/r', '../../../etc/shadow', () => null);           // '/r/etc/shadow'
 */
export function secureJoin(root: string, unsafePath: string, readlink: (p: string) => string | null): string {
  const cleanRoot = path.posix.normalize(root).replace(/(?<=.)\/+$/, '');
  // `current` is relative to root, clean, and never starts with '..'.
  let current = '';
  let remaining = unsafePath;
  let hops = 0;
  while (remaining !== '') {
    const slash = remaining.indexOf('/');
    const part = slash < 0 ? remaining : remaining.slice(0, slash);
    remaining = slash < 0 ? '' : remaining.slice(slash + 1);
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // Clamp at root: '..' of the root is the root, as for a process chrooted there.
      const up = current.lastIndexOf('/');
      current = up < 0 ? '' : current.slice(0, up);
      continue;
    }
    const next = current === '' ? part : `${current}/${part}`;
    const target = readlink(path.posix.join(cleanRoot, next));
    if (target === null) {
      current = next;
      continue;
    }
    hops += 1;
    if (hops > MAX_SYMLINK_HOPS) {
      throw new ConductorError(
        'INVALID_ARGUMENT',
        `too many symlinks (more than ${MAX_SYMLINK_HOPS}) resolving ${JSON.stringify(unsafePath)} in ${JSON.stringify(cleanRoot)}`,
      );
    }
    // An absolute target restarts from the root; a relative one from the link's directory (current).
    if (target.startsWith('/')) current = '';
    remaining = remaining === '' ? target : `${target}/${remaining}`;
  }
  return current === '' ? cleanRoot : path.posix.join(cleanRoot, current);
}
