/** stop and prune with `--dry-run`: what removeContainer would do, read from what exists, nothing changed. */
import type { Paths } from '../config.ts';
import { isAlive } from '../host/proc.ts';
import { beingCreated, containerPaths, loadRecord, statusOf } from '../state/containers.ts';
import { planStop } from './stop-plan.ts';
import { unrecordedCgroups, type RemoveOptions } from './stop.ts';
import { initFromPidFile } from '../state/monitor-files.ts';

/**
 * What removeContainer would do to the host, changing nothing (no lock, no stop mark): for
 * `stop --dry-run` and `prune --dry-run`. Null when it would leave the container alone.
 */
export function planRemoval(paths: Paths, name: string, opts: RemoveOptions): string[] | null {
  const cp = containerPaths(paths, name);
  const rec = loadRecord(paths, name);
  if (rec && !opts.asCreator && beingCreated(rec) && opts.leaveCreating) return null;
  if (opts.onlyIfExited && rec && statusOf(paths, rec) !== 'exited') return null;
  const init = rec?.init ?? initFromPidFile(cp.pidFile);
  const complete =
    rec !== null &&
    !rec.creating &&
    rec.init !== undefined &&
    (rec.monitor !== undefined || rec.exitCode !== undefined);
  const peerHosts = (rec?.network?.peers ?? [])
    .filter((p) => loadRecord(paths, p) !== null)
    .map((p) => ({ name: p, file: containerPaths(paths, p).hosts }));
  return planStop({
    name,
    rec: rec && init && !rec.init ? { ...rec, init } : rec,
    dir: cp.dir,
    initAlive: isAlive(init),
    monitorAlive: isAlive(rec?.monitor),
    timeoutSeconds: opts.timeoutSeconds,
    signal: opts.signal ?? rec?.stopSignal ?? 'SIGTERM',
    peerHosts,
    strayCgroups: complete ? [] : unrecordedCgroups(paths, name, rec?.cgroups ?? []),
  });
}
