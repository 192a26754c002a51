/**
 * The host-side checks of a run's mounts, before anything is created: a bind source must exist
 * (no silent creation, as `docker run -v` would do) and must not expose `/`, the state root, the
 * image cache or conductor's own files (a container that can rewrite native/conductor-init or
 * another container's record owns the host).
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import type { PlannedMount } from '../launch/mount-plan.ts';
import { volumeData } from '../state/volumes.ts';
import type { Mount } from '../types.ts';
import { validateMounts } from './mount-spec.ts';

const within = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** Pure: is `source` (real, absolute) one of the host paths no container may have? Returns why, or null. */
export function forbiddenSource(source: string, protectedDirs: readonly string[]): string | null {
  if (source === '/') return "the host's root";
  for (const d of protectedDirs) {
    if (within(source, d)) return `conductor's own files (${d})`;
    if (within(d, source)) return `a directory holding conductor's own files (${d})`;
  }
  return null;
}

/** The directories a bind may neither be nor contain: state root, cache, the package (helpers). */
export function protectedDirs(paths: Paths): string[] {
  return [...new Set([paths.root, paths.cache, PACKAGE_ROOT].map((d) => safeReal(d)))];
}

function safeReal(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Validate and resolve: bind sources to their real paths (what is recorded and mounted), volume
 * names kept (their data directory is decided by the state root). Throws before any change.
 */
export function resolveMounts(paths: Paths, mounts: readonly Mount[]): Mount[] {
  const valid = validateMounts(mounts);
  const guard = protectedDirs(paths);
  return valid.map((m) => {
    if (m.type !== 'bind') return m;
    let real: string;
    try {
      real = realpathSync(m.source!);
      statSync(real);
    } catch {
      throw new ConductorError('INVALID_ARGUMENT', `bind source "${m.source}" does not exist`, {
        hint: 'create it first; conductor never creates a bind source',
      });
    }
    const why = forbiddenSource(real, guard);
    if (why)
      throw new ConductorError('INVALID_ARGUMENT', `bind source "${m.source}" is refused: it is ${why}`, {
        hint: 'bind a directory of its own instead',
      });
    return { ...m, source: real };
  });
}

/** Host paths for the helper: bind sources as resolved, volumes' data directories; parents before children. */
export function planMounts(paths: Paths, mounts: readonly Mount[]): PlannedMount[] {
  const depth = (t: string) => t.split('/').length;
  return [...mounts]
    .sort((a, b) => depth(a.target) - depth(b.target))
    .map((m) =>
      m.type === 'tmpfs'
        ? { mount: m }
        : { mount: m, hostPath: m.type === 'volume' ? volumeData(paths, m.source!) : m.source! },
    );
}
