/** prune: clean up after containers that are no longer running, from what this state root recorded. */
import { resolvePaths, type CommonOptions } from './config.ts';
import { requireRoot } from './host.ts';
import { removeStaleLayerTemps } from './layers.ts';
import { listContainerNames, loadRecord, statusOf } from './state.ts';
import { removeContainer } from './stop.ts';

export interface PruneResult {
  /** Containers whose leftovers (network, cgroups, files) were removed. */
  removed: string[];
}

/**
 * Remove every exited or half-created container of this state root, undoing the host changes its
 * record lists. Running containers are left alone.
 * @example const { removed } = await prune();
 */
export async function prune(opts: CommonOptions = {}): Promise<PruneResult> {
  requireRoot();
  const paths = resolvePaths(opts.root);
  const removed: string[] = [];
  for (const name of listContainerNames(paths)) {
    const rec = loadRecord(paths, name);
    if (rec && statusOf(paths, rec) !== 'exited') continue;
    await removeContainer(paths, name, { timeoutSeconds: 0 });
    removed.push(name);
  }
  removeStaleLayerTemps(paths);
  return { removed };
}
