/** Replaying a container's recorded host changes: used by stop and prune. */
import type { Paths } from '../config.ts';
import { replayUndos } from './apply.ts';
import { hostExecutor } from './executor.ts';
import { dropUndos } from './record-journal.ts';
import { withPeer } from './peer.ts';
import { silentLogger, type Logger } from '../log.ts';
import { containerPaths, loadRecord } from '../state/containers.ts';
import type { ContainerRecord } from '../types.ts';

/**
 * Replay a container's recorded undo steps in reverse, tolerating changes that are already gone
 * (a crash may have stopped a step half-way), and take it out of its peers' hosts files and records.
 * Its own record is not modified: the caller (stop, prune) clears `undo` or removes the record.
 * Call it without holding the container's record lock (peers' records are updated under theirs).
 * @example await undoAll(paths, requireRecord(paths, 'web'));
 */
export async function undoAll(paths: Paths, rec: ContainerRecord, opts: { log?: Logger } = {}): Promise<void> {
  const log = opts.log ?? silentLogger();
  const executor = hostExecutor(log);
  await replayUndos(rec.undo, { executor });
  const net = rec.network;
  if (!net) return;
  for (const p of net.peers) {
    const other = loadRecord(paths, p);
    if (!other) continue;
    await executor.undo({
      kind: 'hosts',
      action: 'remove',
      file: containerPaths(paths, p).hosts,
      ip: net.ip,
      name: rec.name,
    });
    await dropUndos(paths, p, rec.undo, (n) => withPeer(n, rec.name, false));
  }
}
