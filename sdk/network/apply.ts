/**
 * Container networking verbs: addnetwork, peer, unpeer, and the undo replay used by stop and prune.
 * Facts are gathered here, plans come from netplan.ts (pure), and this module runs them: each
 * step's undo is appended to the owning record(s) before the step runs, so a crash mid-way still
 * leaves an undo for every change that may have been applied.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { hostResolvConf } from '../host/resolv.ts';
import { ConductorError, isConductorError } from '../errors.ts';
import {
  chainSetupText, forwardGuardText, forwardingUsers, hasForwardGuard, publishedHostPorts, restoreTextToArgvs,
} from './firewall.ts';
import { withLock } from '../state/lock.ts';
import { silentLogger, type Logger } from '../log.ts';
import { validateName } from '../names.ts';
import {
  addHostsLine, allocateAddress, checkRouteOverlap, defaultRouteInterfaces, describeCommand, describePlan,
  hostInterfaceName, isConductorInterface, listeningTcpPorts, otherRoutingTools, planAddNetwork, planPeer, planUnpeer,
  poolFromEnv, removeHostsLine, rootIdOf, routedAddresses, validateHostPorts, validatePorts, type LinkEntry, type PeerEnd,
  type RouteEntry, type Step,
} from './plan.ts';
import { sh } from '../host/sh.ts';
import { containerPaths, listRecords, loadRecord, requireRecord, requireRunning, statusOf, updateRecord } from '../state/containers.ts';
import type { ContainerRecord, NetworkRecord, PortMapping, UndoStep } from '../types.ts';

export { parseExposeSpec, planAddNetwork, planPeer, planUnpeer, describePlan, validateHostPorts, type Step } from './plan.ts';

/**
 * Host-wide (not per state root) locks and the ip_forward marker: chains, hooks and the forwarding
 * switch are shared by every state root on the host. /run is emptied at boot, as is ip_forward.
 */
export const HOST_RUN_DIR = '/run/conductor';
const FORWARD_MARKER = path.join(HOST_RUN_DIR, 'ip_forward.enabled');
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

export interface NetworkInfo {
  ip: string;
  gateway: string;
  hostInterface: string;
  ports: PortMapping[];
  internet: boolean;
  /** Host TCP ports the container may connect to. */
  allowHost: number[];
  /** With dryRun: the exact commands that would run (see describePlan). */
  plan?: string[];
}

export interface AddNetworkOptions extends CommonOptions {
  /** Default route, NAT out of the host's default-route interface(s), resolv.conf from the host. */
  internet?: boolean;
  /** Published TCP ports: host port → container port, on every host address including 127.0.0.1. */
  expose?: PortMapping[];
  /**
   * Host TCP ports this container may connect to (on the gateway or any host address). Every
   * other service of the host is closed to containers, except the port 53 of a resolver its
   * resolv.conf names that is a host address.
   */
  allowHost?: number[];
  /** Plan only: nothing is changed, `plan` holds the commands. */
  dryRun?: boolean;
}

// ---------------------------------------------------------------- facts

export async function hostRoutes(): Promise<RouteEntry[]> {
  const { stdout } = await sh(['ip', '-j', 'route']);
  return JSON.parse(stdout || '[]') as RouteEntry[];
}

export async function iptablesSave(table?: string): Promise<string> {
  return (await sh(table ? ['iptables-save', '-t', table] : ['iptables-save'])).stdout;
}

function readOr(file: string, fallback: string | null): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function listeningPorts(): Set<number> {
  return listeningTcpPorts(`${readOr('/proc/net/tcp', '')}\n${readOr('/proc/net/tcp6', '')}`);
}

function checkPorts(paths: Paths, name: string, ports: PortMapping[], records: ContainerRecord[], save: string): void {
  const byConductor = publishedHostPorts(save);
  const listening = ports.length ? listeningPorts() : new Set<number>();
  for (const p of ports) {
    const owner = records.find((r) => r.name !== name && r.network?.ports.some((q) => q.host === p.host) && statusOf(paths, r) !== 'exited');
    const why = owner ? `is already published by container "${owner.name}"`
      : byConductor.has(p.host) ? 'is already published by another conductor state root'
        : listening.has(p.host) ? 'already has a listening socket on the host' : null;
    if (why) throw new ConductorError('PORT_IN_USE', `host port ${p.host} ${why}`);
  }
}

// ---------------------------------------------------------------- running steps

const GONE = /does not exist|cannot find device|no such|bad rule|no chain|not found/i;

async function hostLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return withLock(HOST_RUN_DIR, name, fn);
}

function sysctlWrite(key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, value);
  } catch (e) {
    // A kernel without IPv6 (ipv6.disable=1) has nothing to switch off.
    if (key.startsWith('net.ipv6.') && (e as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync('/proc/sys/net/ipv6')) return;
    throw e;
  }
}

function bootId(): string {
  return readOr('/proc/sys/kernel/random/boot_id', '')!.trim();
}

function conductorOwnsForwarding(): boolean {
  return readOr(FORWARD_MARKER, '')!.trim() === bootId();
}

async function setForwardGuard(op: 'add' | 'delete', log: Logger): Promise<void> {
  const present = hasForwardGuard(await iptablesSave('filter'));
  if (present === (op === 'add')) return;
  const input = forwardGuardText(op);
  log.debug(describeCommand({ argv: ['iptables-restore', '-w', '--noflush'], input }).join('\n'));
  await sh(['iptables-restore', '-w', '--noflush'], { input });
}

/**
 * Switch ip_forward on if it is off, remembering (for this boot) that conductor did it, and while
 * conductor owns it keep the forward guard in place (firewall.ts): forwarding is then only for
 * conductor's veths. A host that had it on keeps its own routing untouched.
 */
async function forwardingOn(log: Logger): Promise<void> {
  await hostLock('ip-forward', async () => {
    const on = readFileSync(IP_FORWARD, 'utf8').trim() === '1';
    if (on && !conductorOwnsForwarding()) return;
    if (!on) {
      mkdirSync(HOST_RUN_DIR, { recursive: true });
      writeFileSync(FORWARD_MARKER, bootId()); // first, so a crash right after still restores it
    }
    await setForwardGuard('add', log); // before forwarding starts: no unguarded window
    if (!on) writeFileSync(IP_FORWARD, '1');
  });
}

async function hostLinks(): Promise<LinkEntry[]> {
  const { stdout } = await sh(['ip', '-j', '-d', 'link', 'show']);
  return JSON.parse(stdout || '[]') as LinkEntry[];
}

/**
 * Put ip_forward back to 0, but only if conductor switched it on in this boot and no conductor rule
 * that needs it (a published-port DNAT or a MASQUERADE, any state root, other than `tag`'s) is left.
 * If the host had it on, conductor never switches it off; nor does it while another tool that may
 * route (a bridge, another veth, another tool's chains) is present: then only the guard goes (no
 * conductor traffic needs it, and it would break that tool) and the marker stays, so a later
 * release, once that tool is gone, still switches forwarding back off.
 */
async function forwardingRelease(tag: string, log: Logger): Promise<void> {
  await hostLock('ip-forward', async () => {
    const marker = readOr(FORWARD_MARKER, null);
    if (marker === null) return;
    if (marker.trim() !== bootId()) {
      rmSync(FORWARD_MARKER, { force: true }); // from an earlier boot: not ours to act on
      return;
    }
    const save = await iptablesSave();
    if (forwardingUsers(save, tag) > 0) return;
    const others = otherRoutingTools(await hostLinks(), save);
    if (others.length === 0) {
      writeFileSync(IP_FORWARD, '0');
      // Writing ip_forward resets every device's forwarding; the remaining veths still need theirs.
      for (const dev of readdirSync('/proc/sys/net/ipv4/conf').filter(isConductorInterface)) {
        try { sysctlWrite(`net.ipv4.conf.${dev}.forwarding`, '1'); } catch { /* went away meanwhile */ }
      }
      await setForwardGuard('delete', log);
      rmSync(FORWARD_MARKER, { force: true });
    } else {
      log.info(`leaving net.ipv4.ip_forward on: ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''} may rely on it`);
      await setForwardGuard('delete', log);
    }
  });
}

function fileLockName(file: string): string {
  return `hosts-${createHash('sha256').update(file).digest('hex').slice(0, 12)}`;
}

/** hosts is bind-mounted into the container: rewrite the same inode, never rename over it. */
async function editHosts(op: string, file: string, ip: string, name: string): Promise<void> {
  await hostLock(fileLockName(file), async () => {
    const before = readOr(file, op === 'add' ? '' : null);
    if (before === null) return;
    const after = op === 'add' ? addHostsLine(before, ip, name) : removeHostsLine(before, ip, name);
    if (after !== before) writeFileSync(file, after);
  });
}

async function runInternal(argv: string[], input: string | undefined, log: Logger): Promise<void> {
  const [op, a, b, c, d] = argv;
  switch (op) {
    case '@sysctl': return sysctlWrite(a!, b!);
    case '@ip-forward': return a === 'hold' ? undefined : a === 'on' ? forwardingOn(log) : forwardingRelease(b!, log);
    case '@write': return writeFileSync(a!, input ?? ''); // truncates the same inode (bind mount)
    case '@hosts': return editHosts(a!, b!, c!, d!);
    default: throw new ConductorError('INTERNAL', `unknown internal step "${op}"`);
  }
}

async function runStep(s: Step, log: Logger): Promise<void> {
  log.debug(describeCommand(s).join('\n'));
  if (s.argv[0]!.startsWith('@')) await runInternal(s.argv, s.input, log);
  else await sh(s.argv, { input: s.input });
}

/** Run one undo, tolerating "already gone": failures are logged, never thrown. */
async function runUndo(u: UndoStep, log: Logger): Promise<void> {
  log.debug(`undo: ${describeCommand(u).join('\n')}`);
  if (u.argv[0]!.startsWith('@')) {
    try {
      await runInternal(u.argv, u.input, log);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`undo "${u.about ?? u.argv[0]}": ${(e as Error).message}`);
    }
    return;
  }
  const res = await sh(u.argv, { input: u.input, nothrow: true });
  if (res.exitCode === 0) return;
  if (u.argv[0] === 'iptables-restore' && u.input) {
    // The batch is atomic: one rule already gone fails all of it. Retry rule by rule.
    for (const argv of restoreTextToArgvs(u.input)) {
      const r = await sh(argv, { nothrow: true });
      if (r.exitCode !== 0 && !GONE.test(r.stderr)) log.warn(`undo "${argv.join(' ')}": ${r.stderr.trim()}`);
    }
    return;
  }
  if (!GONE.test(res.stderr)) log.warn(`undo "${u.argv.join(' ')}": ${res.stderr.trim()}`);
}

const keyOf = (u: UndoStep) => JSON.stringify(u);

async function dropUndos(paths: Paths, name: string, undos: UndoStep[], patch: (n: NetworkRecord | undefined) => NetworkRecord | undefined): Promise<void> {
  const keys = new Set(undos.map(keyOf));
  try {
    await updateRecord(paths, name, (r) => ({ ...r, undo: r.undo.filter((u) => !keys.has(keyOf(u))), network: patch(r.network) }));
  } catch (e) {
    if (!isConductorError(e, 'CONTAINER_NOT_FOUND')) throw e;
  }
}

export interface ApplyOptions {
  log: Logger;
  /** Persist an undo before its step runs (a crash right after still leaves it on disk). */
  record(u: UndoStep): Promise<void>;
  /** After a failed plan was rolled back: forget the undos `record` kept. */
  forget(done: UndoStep[]): Promise<void>;
}

/**
 * Run a plan, recording each undo before its step. On failure, the undos recorded so far are
 * replayed in reverse and forgotten, then the error is rethrown.
 * @example await applyPlan(steps, { log, record: async (u) => journal.push(u), forget: async () => {} });
 */
export async function applyPlan(steps: Step[], opts: ApplyOptions): Promise<void> {
  const done: UndoStep[] = [];
  try {
    for (const s of steps) {
      if (s.undo) {
        await opts.record(s.undo);
        done.push(s.undo);
      }
      await runStep(s, opts.log);
    }
  } catch (e) {
    await replayUndos(done, opts.log);
    await opts.forget(done);
    throw e;
  }
}

/** Replay undos newest first, tolerating what is already gone (never throws). */
export async function replayUndos(undos: UndoStep[], log: Logger): Promise<void> {
  for (const u of [...undos].reverse()) await runUndo(u, log);
}

/** applyPlan with the undos kept in every owner's record. */
async function runPlan(paths: Paths, owners: string[], steps: Step[], log: Logger, onRollback: (n: NetworkRecord | undefined) => NetworkRecord | undefined): Promise<void> {
  await applyPlan(steps, {
    log,
    record: async (u) => {
      for (const o of owners) await updateRecord(paths, o, (r) => ({ ...r, undo: [...r.undo, u] }));
    },
    forget: async (done) => {
      for (const o of owners) await dropUndos(paths, o, done, onRollback);
    },
  });
}

// ---------------------------------------------------------------- verbs

/** Create conductor's chains and hooks if any is missing; under a host-wide lock, re-checked. */
export async function ensureChains(save: string, log: Logger): Promise<void> {
  if (chainSetupText(save) === null) return;
  await hostLock('iptables', async () => {
    const text = chainSetupText(await iptablesSave());
    if (text === null) return;
    log.debug(describeCommand({ argv: ['iptables-restore', '-w', '--noflush'], input: text }).join('\n'));
    await sh(['iptables-restore', '-w', '--noflush'], { input: text });
  });
}

/**
 * Give a running container a veth, an address from the pool, isolation, and optionally the
 * internet and published ports. Returns its address, so no caller ever scrapes `ip addr`.
 * @example
 * const { ip } = await addNetwork('web', { internet: true, expose: [{ container: 8080, host: 3000 }] });
 */
export async function addNetwork(name: string, opts: AddNetworkOptions = {}): Promise<NetworkInfo> {
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? silentLogger();
  validateName('container', name);
  const ports = validatePorts(opts.expose ?? []);
  const allowHost = validateHostPorts(opts.allowHost ?? []);
  const internet = Boolean(opts.internet);
  const pool = poolFromEnv();
  const first = requireRunning(paths, name);
  if (first.network) throw new ConductorError('NETWORK_EXISTS', `container "${name}" already has a network`);

  const [routes, save] = await Promise.all([hostRoutes(), iptablesSave()]);
  checkRouteOverlap(pool, routes);
  const outInterfaces = internet ? defaultRouteInterfaces(routes) : [];
  if (internet && outInterfaces.length === 0) {
    throw new ConductorError('NO_NETWORK', 'the host has no default route for "--internet" to use');
  }
  const cp = containerPaths(paths, name);
  const resolvContent = internet
    ? hostResolvConf()
    : null;
  if (internet && resolvContent === null) log.warn(`no usable host resolver for "${name}"; set CONDUCTOR_DNS`);
  const hostInterface = hostInterfaceName(paths.root, name);
  const info = (ip: string): NetworkInfo => ({ ip, gateway: pool.gateway, hostInterface, ports, internet, allowHost });
  const plan = (ip: string, pid: number) => planAddNetwork({
    rootId: rootIdOf(paths.root), name, pid, hostInterface, ip, gateway: pool.gateway, subnet: pool.cidr, internet, ports, outInterfaces,
    resolvPath: cp.resolv, resolvContent, resolvBefore: readOr(cp.resolv, '')!, allowHost,
  });
  const usedBy = (records: ContainerRecord[], now = routes) => [...records.flatMap((r) => (r.network ? [r.network.ip] : [])), ...routedAddresses(pool, now)];

  if (opts.dryRun) {
    const records = listRecords(paths);
    checkPorts(paths, name, ports, records, save);
    const ip = allocateAddress(pool, usedBy(records));
    const setup = chainSetupText(save);
    const steps: Step[] = [...(setup ? [{ argv: ['iptables-restore', '-w', '--noflush'], input: setup, about: 'create conductor chains and hooks (once per host)' }] : []), ...plan(ip, first.init!.pid)];
    return { ...info(ip), plan: describePlan(steps) };
  }

  const { ip, pid } = await withLock(paths.locks, 'network', async () => {
    const rec = requireRunning(paths, name);
    if (rec.network) throw new ConductorError('NETWORK_EXISTS', `container "${name}" already has a network`);
    const records = listRecords(paths);
    checkPorts(paths, name, ports, records, save);
    // Routes re-read under the lock: a build step's address is reserved by its route (build-network.ts).
    const ip = allocateAddress(pool, usedBy(records, await hostRoutes()));
    await ensureChains(save, log);
    const network: NetworkRecord = { ip, prefixLength: 32, gateway: pool.gateway, hostInterface, internet, ports, peers: [], ...(allowHost.length ? { allowHost } : {}) };
    await updateRecord(paths, name, (r) => ({ ...r, network })); // reserves the address
    return { ip, pid: rec.init!.pid };
  });
  log.info(`network for "${name}": ${ip} via ${hostInterface}`);
  await runPlan(paths, [name], plan(ip, pid), log, () => undefined);
  return info(ip);
}

function peerEnd(paths: Paths, rec: ContainerRecord): PeerEnd {
  if (!rec.network) throw new ConductorError('NO_NETWORK', `container "${rec.name}" has no network`, { hint: `run \`conductor addnetwork ${rec.name}\`` });
  return { name: rec.name, ip: rec.network.ip, hostInterface: rec.network.hostInterface, hostsPath: containerPaths(paths, rec.name).hosts };
}

function withPeer(n: NetworkRecord | undefined, other: string, on: boolean): NetworkRecord | undefined {
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

/**
 * Replay a container's recorded undo steps in reverse, tolerating changes that are already gone
 * (a crash may have stopped a step half-way), and take it out of its peers' hosts files and records.
 * Its own record is not modified: the caller (stop, prune) clears `undo` or removes the record.
 * Call it without holding the container's record lock (peers' records are updated under theirs).
 * @example await undoAll(paths, requireRecord(paths, 'web'));
 */
export async function undoAll(paths: Paths, rec: ContainerRecord, opts: { log?: Logger } = {}): Promise<void> {
  const log = opts.log ?? silentLogger();
  for (const u of [...rec.undo].reverse()) await runUndo(u, log);
  const net = rec.network;
  if (!net) return;
  for (const p of net.peers) {
    const other = loadRecord(paths, p);
    if (!other) continue;
    await editHosts('remove', containerPaths(paths, p).hosts, net.ip, rec.name).catch(() => {});
    await dropUndos(paths, p, rec.undo, (n) => withPeer(n, rec.name, false));
  }
}
