/** Replaying containers' recorded host changes: used by stop (one container or many) and prune. */
import { existsSync } from 'node:fs';
import type { Paths } from '../config.ts';
import { hostExecutor, type Executor } from './executor.ts';
import { forwardingRelease } from './ip-forward.ts';
import { dropUndos } from './record-journal.ts';
import { withPeer } from './peer.ts';
import { planUndoBatch } from './undo-plan.ts';
import { pollUntil } from '../host/poll.ts';
import { silentLogger, type Logger } from '../log.ts';
import { containerPaths, loadRecord } from '../state/containers.ts';
import type { ContainerRecord } from '../types.ts';

/** How long a batch waits for the kernel to remove its veths with their namespaces before deleting them. */
const NETNS_CLEANUP_MS = 1000;

/**
 * Replay a container's recorded undo steps in reverse, tolerating changes that are already gone
 * (a crash may have stopped a step half-way), and take it out of its peers' hosts files and records.
 * Its own record is not modified: the caller (stop, prune) clears `undo` or removes the record.
 * Call it without holding the container's record lock (peers' records are updated under theirs).
 * @example await undoAll(paths, requireRecord(paths, 'web'));
 */
export async function undoAll(paths: Paths, rec: ContainerRecord, opts: { log?: Logger } = {}): Promise<void> {
  await undoMany(paths, [rec], opts);
}

/**
 * undoAll for several containers whose processes have ended, with one firewall restore, one
 * ip_forward release and one veth deletion for all of them (see undo-plan.ts).
 * @example await undoMany(paths, [recA, recB]);
 */
export async function undoMany(paths: Paths, recs: ContainerRecord[], opts: { log?: Logger } = {}): Promise<void> {
  const log = opts.log ?? silentLogger();
  const executor = hostExecutor(log);
  const plan = planUndoBatch(recs.map((r) => r.undo));
  for (const op of plan.each) await executor.undo(op);
  if (plan.restore && !(await quietly(executor, plan.restore.merged))) {
    for (const op of plan.restore.parts) await executor.undo(op);
  }
  if (plan.sets) await executor.undo(plan.sets);
  if (plan.release.length > 0) {
    try {
      await forwardingRelease(plan.release, log);
    } catch (e) {
      log.warn(`undo "release ip_forward": ${(e as Error).message}`);
    }
  }
  await deleteLinks(plan.links, executor);
  const batch = new Set(recs.map((r) => r.name));
  for (const rec of recs) await forgetInPeers(paths, rec, batch, executor);
}

/** Run an undo, reporting failure instead of falling back or warning: the caller has a finer retry. */
async function quietly(executor: Executor, op: Parameters<Executor['run']>[0]): Promise<boolean> {
  try {
    await executor.run(op);
    return true;
  } catch {
    return false;
  }
}

/**
 * Deleting a veth costs the kernel ~17 ms of RCU grace each; namespaces that die together are
 * cleaned up in one pass (100 veths in ~0.15 s). So a batch lets the kernel go first, then deletes
 * what is left in one `ip -b`. A single veth is deleted at once: no batch to gain.
 */
async function deleteLinks(links: string[], executor: Executor): Promise<void> {
  const present = (): string[] => links.filter((l) => existsSync(`/sys/class/net/${l}`));
  if (links.length > 1) await pollUntil(() => present().length === 0, { timeoutMs: NETNS_CLEANUP_MS, maxDelayMs: 20 });
  const left = links.length > 1 ? present() : links;
  if (left.length === 1) await executor.undo({ kind: 'exec', argv: ['ip', 'link', 'del', left[0]!] });
  else if (left.length > 1) {
    const input = left.map((l) => `link del ${l}\n`).join('');
    await executor.undo({ kind: 'exec', argv: ['ip', '-force', '-b', '-'], input });
  }
}

/** Its line in each peer's hosts file and its undos in each peer's record, unless that peer goes too. */
async function forgetInPeers(paths: Paths, rec: ContainerRecord, batch: Set<string>, executor: Executor) {
  const net = rec.network;
  if (!net) return;
  for (const p of net.peers) {
    if (batch.has(p) || !loadRecord(paths, p)) continue;
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

/** Takes containers' undos as their stops get there, and replays them in as few batches as they arrive in. */
export type UndoBatcher = (rec: ContainerRecord) => Promise<void>;

/**
 * Group commit for stops running side by side: the first record starts a batch at once; records
 * arriving while it runs wait and go together in the next one. Containers that end in the same
 * grace period therefore share a handful of restores instead of one each.
 * @example const undo = undoBatcher(paths, log); await Promise.all(recs.map(undo));
 */
export function undoBatcher(paths: Paths, log?: Logger): UndoBatcher {
  let queue: Array<{ rec: ContainerRecord; done: () => void; failed: (e: unknown) => void }> = [];
  let running = false;
  const drain = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await undoMany(
          paths,
          batch.map((b) => b.rec),
          { log },
        );
        for (const b of batch) b.done();
      } catch (e) {
        for (const b of batch) b.failed(e);
      }
    }
    running = false;
  };
  return (rec) =>
    new Promise<void>((done, failed) => {
      queue.push({ rec, done, failed });
      // setImmediate: the records that reach this point in the same turn start together.
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
}
