/** prune: clean up after containers that are no longer running, from what this state root recorded. */
import { resolvePaths, type CommonOptions } from '../config.ts';
import { requireRoot } from '../host/preflight.ts';
import { removeStaleLayerTemps } from '../image/layers.ts';
import { removeDeadOwners } from '../state/files.ts';
import { beingCreated, listContainerNames, loadRecord } from '../state/containers.ts';
import { removeContainer } from './stop.ts';
import { planRemoval } from './stop-dry-run.ts';

export interface PruneResult {
  /** Containers whose leftovers (network, cgroups, files) were removed. */
  removed: string[];
  /** Containers a live `run` is still creating: left alone. */
  creating: string[];
  /** With dryRun: each host change prune would make, as shell lines; nothing was changed. */
  plan?: string[];
}

export interface PruneOptions extends CommonOptions {
  /** Change nothing: `removed` names what would go, `plan` how. */
  dryRun?: boolean;
}

/**
 * Remove every exited or half-created container of this state root, undoing the host changes its
 * record lists. Running containers are left alone.
 * @example const { removed } = await prune();
 */
export async function prune(opts: PruneOptions = {}): Promise<PruneResult> {
  requireRoot();
  const paths = resolvePaths(opts.root);
  const removed: string[] = [];
  const creating: string[] = [];
  if (opts.dryRun) {
    const plan: string[] = [];
    for (const name of listContainerNames(paths)) {
      const how = { timeoutSeconds: 0, onlyIfExited: true, leaveCreating: true };
      const lines = planRemoval(paths, name, how);
      if (lines) {
        removed.push(name);
        plan.push(...lines);
      } else if (beingCreated(loadRecord(paths, name))) creating.push(name);
    }
    return { removed, creating, plan };
  }
  for (const name of listContainerNames(paths)) {
    // Decided under the container's lock: a container whose run is still wiring it up has no
    // running init yet, and must not be taken for one that exited.
    const r = await removeContainer(paths, name, { timeoutSeconds: 0, onlyIfExited: true, leaveCreating: true });
    if (r.skipped === 'creating') creating.push(name);
    else if (!r.skipped) removed.push(name);
  }
  // Record directories of runs killed while building them aside (see createRecordDir).
  removeDeadOwners(paths.containers, /^\.new-(\d+)-[0-9a-f]+$/);
  removeStaleLayerTemps(paths);
  return { removed, creating };
}
