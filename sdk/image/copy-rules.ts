import path from 'node:path';
import { ConductorError } from '../errors.ts';

/**
 * COPY path rules, pure. (Destinations need no host-side resolution: the files are unpacked
 * inside the build container, where the kernel resolves symlinks against the image's own root.)
 *
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
    new ConductorError(
      'PARSE_ERROR',
      `${fileName}:${line}: COPY source ${JSON.stringify(source)} is outside the build context`,
    );
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
