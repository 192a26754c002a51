/** peer / unpeer: two networked containers reach each other and resolve each other's name. */
import { resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { apply, ensureChains } from './apply.ts';
import { iptablesSave } from './facts.ts';
import { hostExecutor } from './executor.ts';
import { describePlan } from './describe.ts';
import { rootIdOf } from './interfaces.ts';
import { planPeer, planUnpeer, type PeerEnd } from './plan.ts';
import { opKey, withRecords } from './record-journal.ts';
import { silentLogger } from '../log.ts';
import { validateName } from '../names.ts';
import { containerPaths, requireRecord, requireRunning, statusOf } from '../state/containers.ts';
import type { ContainerRecord, NetworkRecord } from '../types.ts';

function peerEnd(paths: Paths, rec: ContainerRecord): PeerEnd {
  if (!rec.network)
    throw new ConductorError('NO_NETWORK', `container "${rec.name}" has no network`, {
      hint: `run \`conductor addnetwork ${rec.name}\``,
    });
  return {
    name: rec.name,
    ip: rec.network.ip,
    hostInterface: rec.network.hostInterface,
    hostsPath: containerPaths(paths, rec.name).hosts,
  };
}

export function withPeer(n: NetworkRecord | undefined, other: string, on: boolean): NetworkRecord | undefined {
  if (!n) return n;
  const peers = n.peers.filter((p) => p !== other);
  return { ...n, peers: on ? [...peers, other] : peers };
}

function checkPair(a: string, b: string): void {
  validateName('container', a);
  validateName('container', b);
  if (a === b) throw new ConductorError('INVALID_ARGUMENT', `cannot peer container "${a}" with itself`);
}

export interface PeerOptions extends CommonOptions {
  /** Plan only: nothing is changed, `plan` holds the commands. */
  dryRun?: boolean;
}

export interface PeerResult {
  /** False when the pair already was (peer) or was not (unpeer) peered. */
  changed: boolean;
  /** With dryRun: the exact commands that would run. */
  plan?: string[];
}

/**
 * Let two networked, running containers reach each other (both directions) and resolve each
 * other's name. Peering an already peered pair changes nothing.
 * @example await peer('web', 'db'); // inside web: getent hosts db
 */
export async function peer(a: string, b: string, opts: PeerOptions = {}): Promise<PeerResult> {
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? silentLogger();
  checkPair(a, b);
  const rootId = rootIdOf(paths.root);
  if (opts.dryRun) {
    const steps = planPeer(rootId, peerEnd(paths, requireRunning(paths, a)), peerEnd(paths, requireRunning(paths, b)));
    return { changed: false, plan: describePlan(steps) };
  }
  requireRecord(paths, a);
  requireRecord(paths, b);
  // Both records held: no other network change of either can interleave (record-journal.ts).
  return withRecords(paths, [a, b], async (held) => {
    const [ra, rb] = [held.get(a), held.get(b)];
    for (const r of [ra, rb]) {
      if (statusOf(paths, r) !== 'running')
        throw new ConductorError('CONTAINER_NOT_RUNNING', `container "${r.name}" is not running`);
    }
    const ea = peerEnd(paths, ra);
    const eb = peerEnd(paths, rb);
    if (ra.network!.peers.includes(b) && rb.network!.peers.includes(a)) return { changed: false };
    // Both ends may predate conductor's sets (records of an older conductor): make them if missing.
    await ensureChains(await iptablesSave('filter'), log);
    await apply(planPeer(rootId, ea, eb), { journal: held.journal((n) => n), log });
    held.update(a, (r) => ({ ...r, network: withPeer(r.network, b, true) }));
    held.update(b, (r) => ({ ...r, network: withPeer(r.network, a, true) }));
    return { changed: true };
  });
}

/**
 * Undo `peer`: remove both rules and both hosts lines. Unpeering a pair that is not peered changes nothing.
 * @example await unpeer('web', 'db');
 */
export async function unpeer(a: string, b: string, opts: PeerOptions = {}): Promise<PeerResult> {
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? silentLogger();
  checkPair(a, b);
  const rootId = rootIdOf(paths.root);
  if (opts.dryRun) {
    const steps = planUnpeer(rootId, peerEnd(paths, requireRecord(paths, a)), peerEnd(paths, requireRecord(paths, b)));
    return { changed: false, plan: describePlan(steps) };
  }
  requireRecord(paths, a);
  requireRecord(paths, b);
  return withRecords(paths, [a, b], async (held) => {
    const ea = peerEnd(paths, held.get(a));
    const eb = peerEnd(paths, held.get(b));
    if (!held.get(a).network!.peers.includes(b) && !held.get(b).network!.peers.includes(a)) return { changed: false };
    const executor = hostExecutor(log);
    for (const s of planUnpeer(rootId, ea, eb)) await executor.undo(s.op);
    const undos = planPeer(rootId, ea, eb).map((s) => s.undo!);
    const keys = new Set(undos.map((u) => opKey(u.op)));
    for (const [name, other] of [
      [a, b],
      [b, a],
    ] as const) {
      held.update(name, (r) => ({
        ...r,
        undo: r.undo.filter((u) => !keys.has(opKey(u.op))),
        network: withPeer(r.network, other, false),
      }));
    }
    return { changed: true };
  });
}
