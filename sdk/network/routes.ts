/**
 * What the host's routes and links say: overlaps with the pool, addresses in use, default-route
 * interfaces, other routers.
 */
import { isIPv4 } from 'node:net';
import { ConductorError } from '../errors.ts';
import { isConductorInterface } from './interfaces.ts';
import type { ContainerRecord } from '../types.ts';
import { allocateAddress, inPool, ipToInt, parseCidr, type Pool } from './pool.ts';

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
    try {
      dst = parseCidr(r.dst);
    } catch {
      continue;
    }
    const dstSize = 2 ** (32 - dst.prefix);
    if (dst.base < pool.base + size && pool.base < dst.base + dstSize) {
      throw new ConductorError(
        'SUBNET_OVERLAP',
        `conductor subnet "${pool.cidr}" overlaps host route "${r.dst}"${r.dev ? ` on "${r.dev}"` : ''}`,
        {
          hint: 'set CONDUCTOR_SUBNET to an unused private subnet',
        },
      );
    }
  }
}

/** Addresses in the pool already routed to some conductor veth (possibly another state root's). */
export function routedAddresses(pool: Pool, routes: RouteEntry[]): string[] {
  return routes.filter((r) => isContainerRoute(r) && isIPv4(r.dst) && inPool(pool, ipToInt(r.dst))).map((r) => r.dst);
}

/**
 * A free address of the pool: none of these records' (this root's containers, a reservation being
 * one before its route exists) and none routed to a conductor veth (any root's, or a build step's).
 * @example freeAddress(pool, otherRecords, await hostRoutes()); // '10.177.0.4'
 */
export function freeAddress(
  pool: Pool,
  records: readonly Pick<ContainerRecord, 'network'>[],
  routes: RouteEntry[],
): string {
  return allocateAddress(pool, [
    ...records.flatMap((r) => (r.network ? [r.network.ip] : [])),
    ...routedAddresses(pool, routes),
  ]);
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
const ROUTED_KINDS = new Set([
  'bridge',
  'veth',
  'vxlan',
  'wireguard',
  'tun',
  'macvlan',
  'ipvlan',
  'geneve',
  'gre',
  'ipip',
  'sit',
  'vrf',
]);
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
    if (m && !BUILTIN_CHAINS.has(m[1]!) && !m[1]!.startsWith('CONDUCTOR-'))
      out.push(`iptables chain "${m[1]}" (${table})`);
  }
  return out;
}
