import { ConductorError } from '../errors.ts';
import { mirrorFor } from '../config.ts';
import type { BaseRef, Distro } from '../types.ts';

/**
 * The bases debootstrap can build for conductor, newest first within each distro
 * (also exported from conductorfile.ts).
 *
 * @example
 * SUPPORTED_BASES.ubuntu.includes('noble'); // true
 */
/** The empty base under imported and pulled images (sdk/image/oci/scratch.ts makes it). */
export const SCRATCH_BASE: BaseRef = Object.freeze({ distro: 'scratch', suite: 'oci' });

export const SUPPORTED_BASES: Record<Distro, readonly string[]> = Object.freeze({
  debian: Object.freeze(['bookworm', 'trixie', 'bullseye']),
  ubuntu: Object.freeze(['noble', 'jammy', 'focal']),
});

/** Shipped by Debian's `ubuntu-keyring` package (and by Ubuntu itself). */
export const UBUNTU_KEYRING = '/usr/share/keyrings/ubuntu-archive-keyring.gpg';

/**
 * The full debootstrap argv for a base rootfs: minbase variant, suite, target, mirror (from
 * CONDUCTOR_DEBIAN_MIRROR / CONDUCTOR_UBUNTU_MIRROR or the defaults). Ubuntu suites add the
 * universe component and, when it is installed, the Ubuntu archive keyring — debootstrap on a
 * Debian host does not know it otherwise; when it is missing debootstrap fails and the caller
 * reports that. The caller passes the
 * environment (for the mirror variables) and a file probe (for the keyring).
 *
 * @example
 * debootstrapArgs({ distro: 'debian', suite: 'bookworm' }, '/var/cache/base/debian-bookworm', {}, () => false);
 * // ['debootstrap', '--variant=minbase', 'bookworm', '/var/cache/base/debian-bookworm',
 * //  'http://deb.debian.org/debian']
 */
export function debootstrapArgs(
  base: BaseRef,
  target: string,
  env: NodeJS.ProcessEnv,
  hasFile: (p: string) => boolean,
): string[] {
  const distro = base.distro;
  if (distro === 'scratch' || !SUPPORTED_BASES[distro]?.includes(base.suite)) {
    throw new ConductorError('INVALID_ARGUMENT', `unsupported base "${base.distro}:${base.suite}"`);
  }
  if (target === '') throw new ConductorError('INTERNAL', 'debootstrap target must not be empty');
  const argv = ['debootstrap', '--variant=minbase'];
  if (base.distro === 'ubuntu') {
    argv.push('--components=main,universe');
    if (hasFile(UBUNTU_KEYRING)) argv.push(`--keyring=${UBUNTU_KEYRING}`);
  }
  argv.push(base.suite, target, mirrorFor(distro, env));
  return argv;
}
