/** peer / unpeer: two networked containers reach each other and resolve each other's name. */
import { resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { dropUndos, runPlan, runUndo } from './apply.ts';
import { describePlan } from './describe.ts';
import { rootIdOf } from './interfaces.ts';
import { planPeer, planUnpeer, type PeerEnd } from './plan.ts';
import { withLock } from '../state/lock.ts';
import { silentLogger } from '../log.ts';
import { validateName } from '../names.ts';
import { containerPaths, requireRecord, requireRunning, updateRecord } from '../state/containers.ts';
import type { ContainerRecord, NetworkRecord } from '../types.ts';

function peerEnd(paths: Paths, rec: ContainerRecord): PeerEnd {
  if (!rec.network) throw new ConductorError('NO_NETWORK', `container "${rec.name}" has no network`, { hint: `run \`conductor addnetwork ${rec.name}\`` });
  return { name: rec.name, ip: rec.network.ip, hostInterface: rec.network.hostInterface, hostsPath: containerPaths(paths, rec.name).hosts };
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
  return withLock(paths.locks, 'network', async () => {
    const ra = requireRunning(paths, a);
    const rb = requireRunning(paths, b);
    const ea = peerEnd(paths, ra);
    const eb = peerEnd(paths, rb);
    if (ra.network!.peers.includes(b) && rb.network!.peers.includes(a)) return { changed: false };
    await runPlan(paths, [a, b], planPeer(rootId, ea, eb), log, (n) => n);
    await updateRecord(paths, a, (r) => ({ ...r, network: withPeer(r.network, b, true) }));
    await updateRecord(paths, b, (r) => ({ ...r, network: withPeer(r.network, a, true) }));
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
  return withLock(paths.locks, 'network', async () => {
    const ra = requireRecord(paths, a);
    const rb = requireRecord(paths, b);
    const ea = peerEnd(paths, ra);
    const eb = peerEnd(paths, rb);
    if (!ra.network!.peers.includes(b) && !rb.network!.peers.includes(a)) return { changed: false };
    for (const s of planUnpeer(rootId, ea, eb)) await runUndo(s, log);
    const undos = planPeer(rootId, ea, eb).map((s) => s.undo!);
    await dropUndos(paths, a, undos, (n) => withPeer(n, b, false));
    await dropUndos(paths, b, undos, (n) => withPeer(n, a, false));
    return { changed: true };
  });
}
