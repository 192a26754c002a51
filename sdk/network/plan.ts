/**
 * Pure network planning: addresses, names, port specs, resolvers, and the exact host changes
 * (`Step[]`) for addnetwork / peer / unpeer. No I/O here; sdk/network.ts gathers facts and runs plans.
 *
 * Addressing: every container gets a point-to-point link. The host end of each veth carries the
 * pool's gateway address as a /32 (the same address on many interfaces is fine on Linux, and the
 * local route survives while any of them has it), plus a /32 route to its container. The container
 * gets `<ip>/32`, an on-link route to the gateway and, with --internet only, a default route.
 *
 * Publishing on 127.0.0.1 without a userland proxy: an OUTPUT DNAT of a loopback-sourced packet to
 * the container is refused by the kernel's routing (saddr 127/8 on a non-loopback device) unless
 * `route_localnet` is on for the *outgoing* device. So route_localnet is enabled on the container's
 * host veth only (never on `all` or an external interface, which is what made CVE-2020-8558 a
 * leak), POSTROUTING SNATs 127/8 to the gateway so no loopback address reaches the container, and
 * the raw-table loopback guard (firewall.ts) drops any packet arriving on a conductor veth with a
 * 127/8 source or destination, so the container cannot use the flag to reach the host's
 * loopback-bound services.
 *
 * conductor is IPv4-only, so IPv6 is switched off on both ends of every veth before either is up:
 * a host end with IPv6 accepts router advertisements from the container (a route or address
 * planted on the host, CVE-2020-13401) and gives it a link-local path to host services on `::`
 * that no iptables rule covers. rp_filter=1 on the host end drops anything whose source would not
 * be routed back through that veth (a forged or another container's address).
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { displayCommand } from '../display.ts';
import { ConductorError } from '../errors.ts';
import { containerRules, peerRules, restoreText, type Rule } from './firewall.ts';
import { isValidName } from '../names.ts';
import type { PortMapping, UndoStep } from '../types.ts';

/**
 * One planned host change. `argv[0]` starting with `@` is an in-process operation of the runner
 * (sysctl writes, in-place file edits) that `describePlan` prints as its shell equivalent.
 */
export interface Step {
  argv: string[];
  undo?: UndoStep;
  about: string;
  input?: string;
}

/** Picked to avoid Docker (172.17+/16) and Podman (10.88/16, 10.89+/24) defaults; override with CONDUCTOR_SUBNET. */
export const DEFAULT_SUBNET = '10.177.0.0/16';
export const HOST_IF_PREFIX = 'cnd';
const HOST_IF = /^cnd[0-9a-f]{8}$/;

// ---------------------------------------------------------------- names

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** 8 hex of sha256(state root): tells two state roots' rules apart. @example rootIdOf('/srv/c') */
export function rootIdOf(root: string): string {
  return sha256(root).slice(0, 8);
}

/**
 * The host end of a container's veth: `cnd` + 8 hex, 11 characters whatever the name (IFNAMSIZ is 16).
 * @example hostInterfaceName('/srv/conductor', 'web') // 'cnd…'
 */
export function hostInterfaceName(root: string, name: string): string {
  return HOST_IF_PREFIX + sha256(`${root}\0${name}`).slice(0, 8);
}

export function isConductorInterface(dev: string | undefined): boolean {
  return dev !== undefined && HOST_IF.test(dev);
}

// ---------------------------------------------------------------- addresses

export interface Pool {
  cidr: string;
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
  gateway: string;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || !isIPv4(ip)) throw new ConductorError('INVALID_ARGUMENT', `invalid IPv4 address "${ip}"`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function parseCidr(cidr: string): { base: number; prefix: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) throw new ConductorError('INVALID_ARGUMENT', `invalid IPv4 subnet "${cidr}"`);
  const prefix = m[2] === undefined ? 32 : Number(m[2]);
  if (prefix > 32) throw new ConductorError('INVALID_ARGUMENT', `invalid prefix length in "${cidr}"`);
  const size = 2 ** (32 - prefix);
  return { base: Math.floor(ipToInt(m[1]!) / size) * size, prefix };
}

/**
 * The address pool: `CONDUCTOR_SUBNET` or the default; the gateway is its first address.
 * @example parsePool('10.177.0.0/16').gateway // '10.177.0.1'
 */
export function parsePool(cidr: string = DEFAULT_SUBNET): Pool {
  const { base, prefix } = parseCidr(cidr);
  if (prefix < 8 || prefix > 30) {
    throw new ConductorError('INVALID_ARGUMENT', `subnet "${cidr}" must be between /8 and /30`);
  }
  return { cidr: `${intToIp(base)}/${prefix}`, base, prefix, gateway: intToIp(base + 1) };
}

export function poolFromEnv(env: NodeJS.ProcessEnv = process.env): Pool {
  return parsePool(env.CONDUCTOR_SUBNET || DEFAULT_SUBNET);
}

function inPool(pool: Pool, ip: number): boolean {
  return ip >= pool.base && ip < pool.base + 2 ** (32 - pool.prefix);
}

/**
 * The lowest free container address: skips the network, gateway and broadcast addresses.
 * @example allocateAddress(parsePool('10.177.0.0/16'), ['10.177.0.2']) // '10.177.0.3'
 */
export function allocateAddress(pool: Pool, used: Iterable<string>): string {
  const taken = new Set<number>();
  for (const u of used) {
    try { taken.add(ipToInt(u)); } catch { /* not an address of ours */ }
  }
  const last = pool.base + 2 ** (32 - pool.prefix) - 1; // broadcast
  for (let n = pool.base + 2; n < last; n++) {
    if (!taken.has(n)) return intToIp(n);
  }
  throw new ConductorError('POOL_EXHAUSTED', `no free address left in "${pool.cidr}"`, {
    hint: 'remove stopped containers or set CONDUCTOR_SUBNET to a larger subnet',
  });
}

/** An entry of `ip -j route` (only the fields used here). */
export interface RouteEntry {
  dst: string;
  dev?: string;
  gateway?: string;
  type?: string;
  nexthops?: { dev?: string; gateway?: string }[];
}

/** A /32 route on a conductor veth (any state root): an address already in use, not an overlap. */
function isContainerRoute(r: RouteEntry): boolean {
  return isConductorInterface(r.dev) && r.dst !== 'default' && !r.dst.includes('/');
}

/**
 * Throws SUBNET_OVERLAP when a host route (other than a default route or conductor's own /32
 * container routes) overlaps the pool.
 */
export function checkRouteOverlap(pool: Pool, routes: RouteEntry[]): void {
  const size = 2 ** (32 - pool.prefix);
  for (const r of routes) {
    if (r.dst === 'default' || isContainerRoute(r)) continue;
    let dst: { base: number; prefix: number };
    try { dst = parseCidr(r.dst); } catch { continue; }
    const dstSize = 2 ** (32 - dst.prefix);
    if (dst.base < pool.base + size && pool.base < dst.base + dstSize) {
      throw new ConductorError('SUBNET_OVERLAP', `conductor subnet "${pool.cidr}" overlaps host route "${r.dst}"${r.dev ? ` on "${r.dev}"` : ''}`, {
        hint: 'set CONDUCTOR_SUBNET to an unused private subnet',
      });
    }
  }
}

/** Addresses in the pool already routed to some conductor veth (possibly another state root's). */
export function routedAddresses(pool: Pool, routes: RouteEntry[]): string[] {
  return routes.filter((r) => isContainerRoute(r) && isIPv4(r.dst) && inPool(pool, ipToInt(r.dst))).map((r) => r.dst);
}

/** Interfaces carrying the default route(s), multipath included. */
export function defaultRouteInterfaces(routes: RouteEntry[]): string[] {
  const devs = new Set<string>();
  for (const r of routes) {
    if (r.dst !== 'default') continue;
    if (r.dev) devs.add(r.dev);
    for (const h of r.nexthops ?? []) if (h.dev) devs.add(h.dev);
  }
  return [...devs].filter((d) => !isConductorInterface(d)).sort();
}

/** An entry of `ip -j -d link show` (only the fields used here). */
export interface LinkEntry {
  ifname: string;
  linkinfo?: { info_kind?: string };
}

// Link kinds another tool would route through: Docker/Podman/libvirt/LXC bridges, veths of other
// runtimes, VPN and overlay tunnels.
const ROUTED_KINDS = new Set(['bridge', 'veth', 'vxlan', 'wireguard', 'tun', 'macvlan', 'ipvlan', 'geneve', 'gre', 'ipip', 'sit', 'vrf']);
const BUILTIN_CHAINS = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

/**
 * What on the host, other than conductor, may rely on net.ipv4.ip_forward: links of a routing
 * kind that are not conductor veths, and user-defined iptables chains that are not conductor's
 * (DOCKER, LIBVIRT_FWO, CNI-..., NETAVARK_...). Empty: conductor alone needs forwarding.
 * @example otherRoutingTools([{ ifname: 'docker0', linkinfo: { info_kind: 'bridge' } }], '') // ['bridge "docker0"']
 */
export function otherRoutingTools(links: LinkEntry[], save: string): string[] {
  const out: string[] = [];
  for (const l of links) {
    const kind = l.linkinfo?.info_kind;
    if (kind && ROUTED_KINDS.has(kind) && !isConductorInterface(l.ifname)) out.push(`${kind} "${l.ifname}"`);
  }
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^:(\S+) /.exec(line);
    if (m && !BUILTIN_CHAINS.has(m[1]!) && !m[1]!.startsWith('CONDUCTOR-')) out.push(`iptables chain "${m[1]}" (${table})`);
  }
  return out;
}

// ---------------------------------------------------------------- ports

function parsePort(s: string, spec: string): number {
  if (!/^\d{1,5}$/.test(s)) throw badSpec(spec);
  const n = Number(s);
  if (n < 1 || n > 65535) throw badSpec(spec);
  return n;
}

function badSpec(spec: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid port mapping ${JSON.stringify(spec)}`, {
    hint: 'use <container-port>-<host-port>, e.g. 8080-3000, ports 1-65535',
  });
}

/**
 * `<inner>-<outer>`: container port, then host port.
 * @example parseExposeSpec('8080-3000') // { container: 8080, host: 3000 }
 */
export function parseExposeSpec(spec: string): PortMapping {
  const parts = typeof spec === 'string' ? spec.trim().split('-') : [];
  if (parts.length !== 2) throw badSpec(String(spec));
  return { container: parsePort(parts[0]!, spec), host: parsePort(parts[1]!, spec) };
}

/** Range-checks mappings given as data and refuses two mappings of one host port. */
export function validatePorts(ports: PortMapping[]): PortMapping[] {
  const seen = new Set<number>();
  return ports.map((p) => {
    const shown = `${p?.container}-${p?.host}`;
    const m = { container: parsePort(String(p?.container), shown), host: parsePort(String(p?.host), shown) };
    if (seen.has(m.host)) throw new ConductorError('INVALID_ARGUMENT', `host port ${m.host} is mapped twice`);
    seen.add(m.host);
    return m;
  });
}

/** Ports with a LISTEN socket in /proc/net/tcp or /proc/net/tcp6 text. */
export function listeningTcpPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '0A') continue; // TCP_LISTEN
    const port = f[1]?.split(':')[1];
    if (port) ports.add(parseInt(port, 16));
  }
  return ports;
}

// ---------------------------------------------------------------- hosts

/** Appends `<ip> <name>` unless that exact line is there. */
export function addHostsLine(text: string, ip: string, name: string): string {
  const line = `${ip} ${name}`;
  if (text.split('\n').some((l) => l.trim() === line)) return text;
  return (text === '' || text.endsWith('\n') ? text : text + '\n') + line + '\n';
}

export function removeHostsLine(text: string, ip: string, name: string): string {
  const line = `${ip} ${name}`;
  return text.split('\n').filter((l) => l.trim() !== line).join('\n');
}

// ---------------------------------------------------------------- plans

export interface AddNetworkInput {
  rootId: string;
  name: string;
  /** The container's init PID (host view): its netns is /proc/<pid>/ns/net. */
  pid: number;
  hostInterface: string;
  ip: string;
  gateway: string;
  /** The pool, routed via the gateway so peers are reachable (the firewall decides who actually is). */
  subnet: string;
  internet: boolean;
  ports: PortMapping[];
  /** Interfaces carrying the host's default route; used with internet. */
  outInterfaces: string[];
  /** Host path of the container's resolv.conf; written (in place) with internet. */
  resolvPath: string;
  resolvContent: string | null;
  /** Its content before, restored by the undo. */
  resolvBefore: string;
  /** Host TCP ports opened to this container (every other host port is closed to it). */
  allowHost?: number[];
}

/** `nameserver` addresses of resolv.conf text (IPv4 only: the container has no IPv6). */
export function nameserversOf(resolv: string | null): string[] {
  const out: string[] = [];
  for (const line of (resolv ?? '').split('\n')) {
    const [key, addr] = line.trim().split(/\s+/);
    if (key === 'nameserver' && addr && isIPv4(addr) && !out.includes(addr)) out.push(addr);
  }
  return out;
}

function badHostPort(spec: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid host port ${JSON.stringify(spec)}`, {
    hint: 'use a TCP port number 1-65535, e.g. --allow-host 5432',
  });
}

/**
 * Range-checks the host ports a container may reach (strings from the CLI, numbers from the SDK);
 * duplicates collapse.
 * @example validateHostPorts(['5432', 6379]) // [5432, 6379]
 */
export function validateHostPorts(ports: Array<number | string>): number[] {
  const out: number[] = [];
  for (const p of ports) {
    const s = String(p).trim();
    if (!/^\d{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw badHostPort(String(p));
    if (!out.includes(Number(s))) out.push(Number(s));
  }
  return out;
}

function tagOf(rootId: string, name: string): string {
  if (!isValidName(name)) throw new ConductorError('INVALID_NAME', `invalid container name ${JSON.stringify(name)}`);
  return `conductor:${rootId}:${name}`;
}

function sysctlStep(key: string, value: string, about: string): Step {
  return { argv: ['@sysctl', key, value], about, undo: { argv: ['@sysctl', key, '0'], about: `reset ${key}` } };
}

/** A setting of the veth itself: it goes with the device, so there is nothing to undo. */
function deviceSysctlStep(key: string, value: string, about: string): Step {
  return { argv: ['@sysctl', key, value], about };
}

/** Per-veth settings made before its host end is up (see the header). */
function hardenVethSteps(v: string): Step[] {
  return [
    deviceSysctlStep(`net.ipv6.conf.${v}.disable_ipv6`, '1', `no IPv6 on ${v} (router advertisements, link-local paths to the host)`),
    deviceSysctlStep(`net.ipv6.conf.${v}.accept_ra`, '0', `ignore router advertisements on ${v}`),
    deviceSysctlStep(`net.ipv4.conf.${v}.rp_filter`, '1', `drop packets on ${v} whose source is not routed back through it`),
  ];
}

function iptablesStep(rules: Rule[], about: string): Step {
  return {
    argv: ['iptables-restore', '-w', '--noflush'],
    input: restoreText(rules, 'add'),
    about,
    undo: { argv: ['iptables-restore', '-w', '--noflush'], input: restoreText(rules, 'delete'), about: `remove: ${about}` },
  };
}

/**
 * Every host change of `addnetwork`, in order. Each host-side step carries its undo; the one step
 * inside the container's netns has none (it vanishes with the veth and the namespace, and entering
 * a recorded PID's netns at stop time could hit a reused PID).
 * @example describePlan(planAddNetwork({ ...facts, ip: '10.177.0.2', internet: true }))
 */
export function planAddNetwork(p: AddNetworkInput): Step[] {
  const tag = tagOf(p.rootId, p.name);
  const v = p.hostInterface;
  const netns = `--net=/proc/${p.pid}/ns/net`;
  const steps: Step[] = [];
  steps.push({
    argv: ['ip', 'link', 'add', v, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(p.pid)],
    about: `veth ${v} <-> eth0 of "${p.name}" (both down)`,
    undo: { argv: ['ip', 'link', 'del', v], about: `delete veth ${v} (and its peer)` },
  });
  steps.push(...hardenVethSteps(v));
  // -e: a kernel without IPv6 has no such keys, and nothing to switch off.
  steps.push({
    argv: ['nsenter', netns, 'sysctl', '-q', '-e', '-w', 'net.ipv6.conf.eth0.disable_ipv6=1', 'net.ipv6.conf.eth0.accept_ra=0'],
    about: `no IPv6 on eth0 of "${p.name}"`,
  });
  steps.push({
    argv: ['ip', '-b', '-'],
    input: [
      `addr add ${p.gateway}/32 dev ${v}`,
      `link set ${v} up`,
      `route add ${p.ip}/32 dev ${v} src ${p.gateway}`,
    ].join('\n') + '\n',
    about: `bring up ${v}, route ${p.ip} via it`,
  });
  steps.push({
    argv: ['nsenter', netns, 'ip', '-b', '-'],
    input: [
      'link set lo up',
      `addr add ${p.ip}/32 dev eth0`,
      'link set eth0 up',
      `route add ${p.gateway}/32 dev eth0 src ${p.ip}`,
      `route add ${p.subnet} via ${p.gateway} dev eth0 src ${p.ip}`,
      ...(p.internet ? [`route add default via ${p.gateway} dev eth0`] : []),
    ].join('\n') + '\n',
    about: `configure eth0 ${p.ip} in "${p.name}"${p.internet ? ' with a default route' : ''}`,
  });
  // IPv4 forwarding is decided by the ingress device: peers and the container's own outbound
  // traffic need it only on this veth.
  steps.push(sysctlStep(`net.ipv4.conf.${v}.forwarding`, '1', `forward packets arriving on ${v}`));
  if (p.ports.length > 0) {
    steps.push(sysctlStep(`net.ipv4.conf.${v}.route_localnet`, '1', `let 127.0.0.1 publishing leave through ${v} only`));
  }
  const allowHost = p.allowHost ?? [];
  const rules = containerRules({
    tag, hostInterface: v, ip: p.ip, gateway: p.gateway, ports: p.ports, internet: p.internet, outInterfaces: p.outInterfaces,
    allowHost, dnsServers: p.internet ? nameserversOf(p.resolvContent) : [],
  });
  const forwards = p.internet || p.ports.length > 0;
  if (forwards) {
    // The release is the undo of a step *before* the rules, so it runs after they are deleted;
    // switching on comes *after* them. Then a release counting other containers' rules (network.ts)
    // sees every rule whose container has switched forwarding on or is about to, and two
    // concurrent stops cannot each keep forwarding on for the other.
    steps.push({
      argv: ['@ip-forward', 'hold'],
      about: 'ip_forward: nothing yet (the undo releases it once the rules below are gone)',
      undo: { argv: ['@ip-forward', 'release', tag], about: 'restore net.ipv4.ip_forward=0 if conductor enabled it and no conductor NAT rule is left' },
    });
  }
  steps.push(iptablesStep(rules, `isolate "${p.name}"${p.ports.length ? `, publish ${p.ports.map((x) => `${x.host}->${x.container}`).join(' ')}` : ''}${p.internet ? ', masquerade' : ''}${allowHost.length ? `, host ports ${allowHost.join(' ')}` : ''}`));
  if (forwards) {
    steps.push({ argv: ['@ip-forward', 'on'], about: 'enable net.ipv4.ip_forward (replies from outside arrive on the host\'s interfaces)' });
  }
  if (p.internet && p.resolvContent !== null) {
    steps.push({
      argv: ['@write', p.resolvPath],
      input: p.resolvContent,
      about: `resolv.conf of "${p.name}" from the host's resolvers`,
      undo: { argv: ['@write', p.resolvPath], input: p.resolvBefore, about: `restore resolv.conf of "${p.name}"` },
    });
  }
  return steps;
}

export interface PeerEnd {
  name: string;
  ip: string;
  hostInterface: string;
  /** Host path of its hosts file (bind-mounted as the container's /etc/hosts). */
  hostsPath: string;
}

function orderPair(a: PeerEnd, b: PeerEnd): [PeerEnd, PeerEnd] {
  return a.name <= b.name ? [a, b] : [b, a];
}

/**
 * Allow both directions and make each name resolve in the other. Symmetric: planPeer(a, b) equals
 * planPeer(b, a), so unpeer can find the same undo entries in both records.
 */
export function planPeer(rootId: string, x: PeerEnd, y: PeerEnd): Step[] {
  const [a, b] = orderPair(x, y);
  if (a.name === b.name) throw new ConductorError('INVALID_ARGUMENT', `cannot peer container "${a.name}" with itself`);
  const rules = peerRules({ tag: tagOf(rootId, a.name), hostInterface: a.hostInterface, ip: a.ip }, { tag: tagOf(rootId, b.name), hostInterface: b.hostInterface, ip: b.ip });
  const hostsStep = (into: PeerEnd, other: PeerEnd): Step => ({
    argv: ['@hosts', 'add', into.hostsPath, other.ip, other.name],
    about: `"${other.name}" resolves in "${into.name}"`,
    undo: { argv: ['@hosts', 'remove', into.hostsPath, other.ip, other.name], about: `forget "${other.name}" in "${into.name}"` },
  });
  return [iptablesStep(rules, `peer "${a.name}" <-> "${b.name}"`), hostsStep(a, b), hostsStep(b, a)];
}

/** The undo of planPeer, as steps, newest first. */
export function planUnpeer(rootId: string, x: PeerEnd, y: PeerEnd): Step[] {
  return planPeer(rootId, x, y).reverse().map((s) => ({ argv: s.undo!.argv, input: s.undo!.input, about: s.undo!.about ?? s.about }));
}

// ---------------------------------------------------------------- describe

function quote(a: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function heredoc(cmd: string, input: string): string[] {
  return [`${cmd} <<'EOF'`, ...input.replace(/\n$/, '').split('\n'), 'EOF'];
}

/** One step or undo as shell: in-process operations are shown as their shell equivalents. */
export function describeCommand(s: { argv: string[]; input?: string }): string[] {
  const [op, ...args] = s.argv;
  switch (op) {
    case '@sysctl':
      return [`sysctl -qw ${args[0]}=${args[1]}`];
    case '@ip-forward':
      if (args[0] === 'hold') return ['true   # placeholder: its undo releases ip_forward after the rules are deleted'];
      return args[0] === 'on'
        ? ['sysctl -qw net.ipv4.ip_forward=1   # only if 0; remembered so conductor can restore it (and guarded, see firewall.ts)']
        : [`sysctl -qw net.ipv4.ip_forward=0   # only if conductor set it, no rule but ${args[1]}'s needs it and no other tool routes`];
    case '@write':
      return heredoc(`cat > ${quote(args[0]!)}`, s.input ?? '').map((l, i) => (i === 0 ? `${l}   # in place` : l));
    case '@hosts':
      return args[0] === 'add'
        ? [`grep -qxF ${quote(`${args[2]} ${args[3]}`)} ${quote(args[1]!)} || echo ${quote(`${args[2]} ${args[3]}`)} >> ${quote(args[1]!)}`]
        : [`# remove the line ${quote(`${args[2]} ${args[3]}`)} from ${quote(args[1]!)}, rewriting it in place (same inode)`];
    default:
      return s.input !== undefined ? heredoc(displayCommand(s.argv), s.input) : [displayCommand(s.argv)];
  }
}

/**
 * The exact commands a plan runs, for `--dry-run`.
 * @example for (const line of describePlan(steps)) console.log(line)
 */
export function describePlan(steps: Step[]): string[] {
  return steps.flatMap((s) => [`# ${s.about}`, ...describeCommand(s)]);
}
