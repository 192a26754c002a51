/**
 * Volume verbs: create, ls, inspect, rm, prune. Volumes outlive containers: stop, prune, rmi and
 * rmcache never touch them; only `removeVolume` and `pruneVolumes` do, and never one that a
 * container record mounts. Every verb that creates or removes holds the `names` lock, the one
 * `run` holds while it creates a record and the volumes it names.
 */
import { resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { requireRoot } from '../host/preflight.ts';
import { validateName } from '../names.ts';
import { withLock } from '../state/lock.ts';
import { deleteVolume, ensureVolume, listVolumes, requireVolume, volumeUsers } from '../state/volumes.ts';
import type { Mount, VolumeInfo } from '../types.ts';

/**
 * Create a named volume (an existing one is returned as is, as in Docker).
 * @example const v = await createVolume('pgdata'); console.log(v.mountpoint);
 */
export async function createVolume(name: string, opts: CommonOptions = {}): Promise<VolumeInfo> {
  validateName('volume', name);
  requireRoot();
  const paths = resolvePaths(opts.root);
  await withLock(paths.locks, 'names', async () => {
    if (ensureVolume(paths, name)) opts.log?.info(`created volume "${name}"`);
  });
  return requireVolume(paths, name);
}

/**
 * Every volume of the state root, with the containers that mount it.
 * @example for (const v of await volumes()) console.log(v.name, v.usedBy);
 */
export async function volumes(opts: CommonOptions = {}): Promise<VolumeInfo[]> {
  return listVolumes(resolvePaths(opts.root));
}

/** @example const { mountpoint } = await inspectVolume('pgdata'); */
export async function inspectVolume(name: string, opts: CommonOptions = {}): Promise<VolumeInfo> {
  validateName('volume', name);
  return requireVolume(resolvePaths(opts.root), name);
}

/**
 * Remove a volume and its data; refused (VOLUME_IN_USE) while a container record mounts it.
 * @example await removeVolume('pgdata');
 */
export async function removeVolume(name: string, opts: CommonOptions = {}): Promise<void> {
  validateName('volume', name);
  requireRoot();
  const paths = resolvePaths(opts.root);
  await withLock(paths.locks, 'names', async () => {
    requireVolume(paths, name);
    const users = volumeUsers(paths).get(name) ?? [];
    if (users.length > 0) {
      throw new ConductorError(
        'VOLUME_IN_USE',
        `volume "${name}" is in use by container${users.length > 1 ? 's' : ''} ` +
          users.map((u) => `"${u}"`).join(', '),
        {
          hint: `stop ${users.length > 1 ? 'them' : 'it'} first: conductor stop ${users.join(' ')}`,
        },
      );
    }
    deleteVolume(paths, name);
  });
}

export interface PruneVolumesResult {
  removed: string[];
}

/**
 * Remove every volume no container record mounts.
 * @example const { removed } = await pruneVolumes();
 */
export async function pruneVolumes(opts: CommonOptions = {}): Promise<PruneVolumesResult> {
  requireRoot();
  const paths = resolvePaths(opts.root);
  return withLock(paths.locks, 'names', async () => {
    const users = volumeUsers(paths);
    const removed: string[] = [];
    for (const v of listVolumes(paths)) {
      if ((users.get(v.name) ?? []).length > 0) continue;
      deleteVolume(paths, v.name);
      removed.push(v.name);
    }
    return { removed };
  });
}

/** Create the named volumes a run mounts (first use). Call it under the `names` lock, with the record. */
export function ensureVolumes(paths: Paths, mounts: readonly Mount[]): void {
  for (const m of mounts) if (m.type === 'volume') ensureVolume(paths, m.source!);
}
