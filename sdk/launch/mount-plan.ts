/**
 * Pure: the init helper's arguments for a container's mounts (native/mounts.c). Bind and volume
 * mounts become `--mount bind SRC TARGET FLAGS`, tmpfs `--mount tmpfs DATA TARGET FLAGS`; the
 * helper resolves each TARGET inside the container's root (openat2 RESOLVE_IN_ROOT) and mounts on
 * that fd, never on a host path. FLAGS: `ro`|`rw`, plus `noexec`, and `copyup` for a named volume
 * (fill an empty volume from the image's directory first, as Docker does).
 */
import type { Mount } from '../types.ts';

/** A mount with its host source decided: the volume's data directory, or the real bind path. */
export interface PlannedMount {
  mount: Mount;
  /** Host path mounted (bind, volume); absent for tmpfs. */
  hostPath?: string;
}

export function mountArgs(planned: readonly PlannedMount[], readOnlyRoot: boolean): string[] {
  const a: string[] = [];
  for (const { mount: m, hostPath } of planned) {
    const opts = m.options ?? [];
    const flags = [m.readonly ? 'ro' : 'rw'];
    if (opts.includes('noexec')) flags.push('noexec');
    if (m.type === 'volume' && !opts.includes('nocopy')) flags.push('copyup');
    if (m.type === 'tmpfs') {
      const data = opts.filter((o) => o !== 'noexec').join(',');
      a.push('--mount', 'tmpfs', data, m.target, flags.join(','));
    } else {
      if (!hostPath) throw new Error(`mountArgs: no host path for ${m.type} mount on ${m.target}`);
      a.push('--mount', 'bind', hostPath, m.target, flags.join(','));
    }
  }
  if (readOnlyRoot) a.push('--read-only');
  return a;
}
