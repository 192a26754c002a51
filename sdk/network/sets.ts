/**
 * Pure: conductor's ipsets and the fixed rules that match them, so a forwarded packet costs the
 * same with 1 container as with 200. Per-container FORWARD and INPUT rules made every packet walk
 * ~6 rules per container before finding its own; now each container is a few set elements (hash
 * lookups), added by addnetwork and deleted by stop, and the rules below are written once per host.
 *
 * Sets (ipset; owned by conductor, created on first use and left in place when empty, as the chains):
 *   conductor-addr      hash:net,iface   (address, host veth)   each networked container
 *   conductor-pub       hash:ip,port     (address, tcp:port)    its published container ports
 *   conductor-out       hash:net,iface   (address, out iface)   --internet: leave by the default route
 *   conductor-peer      hash:net,iface   (address, peer's veth) peers, one element per direction
 *   conductor-hostport  hash:ip,port     (address, tcp:port)    --allow-host ports
 *   conductor-dns       hash:ip,port,ip  (address, proto:53, resolver)
 * Each element carries the owner's `conductor:<root-id>:<name>` as its ipset comment.
 *
 * The rules give exactly what the per-container ones gave: `-m set conductor-addr src,src` is "in
 * through this container's own veth from its own address", `dst,dst` is "out through its veth to its
 * address" (addresses are unique across containers), and each other set adds the one permission.
 * The two DROPs that ended each container's rules are now one pair for every `cnd+` veth, appended
 * after everything, so an ACCEPT anywhere above (another state root's, an older conductor's) still wins.
 */
import { ConductorError } from '../errors.ts';
import type { PortMapping } from '../types.ts';

export type SetName =
  'conductor-addr' | 'conductor-pub' | 'conductor-out' | 'conductor-peer' | 'conductor-hostport' | 'conductor-dns';

export const SETS: ReadonlyArray<{ name: SetName; type: string }> = [
  { name: 'conductor-addr', type: 'hash:net,iface' },
  { name: 'conductor-pub', type: 'hash:ip,port' },
  { name: 'conductor-out', type: 'hash:net,iface' },
  { name: 'conductor-peer', type: 'hash:net,iface' },
  { name: 'conductor-hostport', type: 'hash:ip,port' },
  { name: 'conductor-dns', type: 'hash:ip,port,ip' },
];

/** One set element, with the tag of the container that owns it. */
export interface SetElement {
  set: SetName;
  /** ipset's element syntax: `10.177.0.2,cnd1234abcd`, `10.177.0.2,tcp:8080`, `10.177.0.2,udp:53,10.0.0.53`. */
  value: string;
  tag: string;
}

/** The comment on the fixed rules below (not `conductor:`: they belong to no container). */
export const SET_RULES_COMMENT = 'conductor-sets';

const addr = (dir: 'src,src' | 'dst,dst') => `-m set --match-set conductor-addr ${dir}`;
const c = `-m comment --comment ${SET_RULES_COMMENT}`;
const REPLY = '-m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY';

/** The fixed rules: table, chain, and the rule as `iptables-save` prints it (after `-A <chain> `). */
export const SET_RULES: ReadonlyArray<{ chain: string; append: boolean; spec: string }> = [
  // Replies only (--ctdir REPLY): a packet conntrack picked up mid-stream (tcp_loose) is ORIGINAL.
  { chain: 'CONDUCTOR-FORWARD', append: false, spec: `-o cnd+ ${addr('dst,dst')} ${REPLY} ${c} -j ACCEPT` },
  { chain: 'CONDUCTOR-FORWARD', append: false, spec: `-i cnd+ ${addr('src,src')} ${REPLY} ${c} -j ACCEPT` },
  // Only connections that came through a published port's DNAT, not routed straight to the address.
  {
    chain: 'CONDUCTOR-FORWARD',
    append: false,
    spec:
      `-o cnd+ -p tcp ${addr('dst,dst')} -m set --match-set conductor-pub dst,dst ` +
      `-m conntrack --ctstate DNAT ${c} -j ACCEPT`,
  },
  {
    chain: 'CONDUCTOR-FORWARD',
    append: false,
    spec: `-i cnd+ ${addr('src,src')} -m set --match-set conductor-out src,dst ${c} -j ACCEPT`,
  },
  {
    chain: 'CONDUCTOR-FORWARD',
    append: false,
    spec: `-i cnd+ ${addr('src,src')} -m set --match-set conductor-peer src,dst ${c} -j ACCEPT`,
  },
  { chain: 'CONDUCTOR-FORWARD', append: true, spec: `-i cnd+ ${c} -j DROP` },
  { chain: 'CONDUCTOR-FORWARD', append: true, spec: `-o cnd+ ${c} -j DROP` },
  // INPUT sees only packets for the host's own addresses: a resolver elsewhere never matches here.
  {
    chain: 'CONDUCTOR-INPUT',
    append: false,
    spec: `-i cnd+ ${addr('src,src')} -m set --match-set conductor-dns src,dst,dst ${c} -j ACCEPT`,
  },
  {
    chain: 'CONDUCTOR-INPUT',
    append: false,
    spec: `-i cnd+ ${addr('src,src')} -m set --match-set conductor-hostport src,dst ${c} -j ACCEPT`,
  },
];

export interface ContainerSetInput {
  tag: string;
  hostInterface: string;
  ip: string;
  ports: PortMapping[];
  internet: boolean;
  outInterfaces: string[];
  allowHost?: number[];
  dnsServers?: string[];
}

/**
 * A container's set elements: what its per-container FORWARD and INPUT rules used to say.
 * @example containerElements({ tag, hostInterface: 'cnd1', ip: '10.177.0.2', ports: [], internet: false, outInterfaces: [] })
 */
export function containerElements(x: ContainerSetInput): SetElement[] {
  const el = (set: SetName, value: string): SetElement => ({ set, value, tag: x.tag });
  const out = [el('conductor-addr', `${x.ip},${x.hostInterface}`)];
  for (const p of x.ports) out.push(el('conductor-pub', `${x.ip},tcp:${p.container}`));
  if (x.internet) for (const o of x.outInterfaces) out.push(el('conductor-out', `${x.ip},${o}`));
  for (const ns of x.dnsServers ?? [])
    for (const proto of ['udp', 'tcp']) out.push(el('conductor-dns', `${x.ip},${proto}:53,${ns}`));
  for (const port of x.allowHost ?? []) out.push(el('conductor-hostport', `${x.ip},tcp:${port}`));
  return out;
}

/** Both directions between two containers, each element owned by the container it leaves from. */
export function peerElements(
  a: { tag: string; ip: string; hostInterface: string },
  b: { tag: string; ip: string; hostInterface: string },
): SetElement[] {
  return [
    { set: 'conductor-peer', value: `${a.ip},${b.hostInterface}`, tag: a.tag },
    { set: 'conductor-peer', value: `${b.ip},${a.hostInterface}`, tag: b.tag },
  ];
}

// The restore text is split on whitespace and quotes: refuse anything that could add a line.
const SAFE = /^[A-Za-z0-9_.:,/+-]+$/;

/**
 * `ipset restore` input adding (with owner comments) or deleting the elements. Deletion is run
 * with `-exist`, so an element already gone is no error.
 * @example ipsetRestoreText(containerElements(x), 'add')
 */
export function ipsetRestoreText(elements: SetElement[], op: 'add' | 'del'): string {
  return elements
    .map((e) => {
      for (const t of [e.value, e.tag])
        if (!SAFE.test(t)) throw new ConductorError('INVALID_ARGUMENT', `unsafe ipset token ${JSON.stringify(t)}`);
      return op === 'add' ? `add ${e.set} ${e.value} comment "${e.tag}"\n` : `del ${e.set} ${e.value}\n`;
    })
    .join('');
}

/** `ipset restore` input creating every conductor set that is missing (run with `-exist`). */
export function setCreateText(): string {
  return SETS.map((s) => `create ${s.name} ${s.type} family inet comment\n`).join('');
}

/** The argv of an ipset restore: `-exist` for creation and deletion (idempotent), not for adding. */
export function ipsetRestoreArgv(op: 'add' | 'del' | 'create'): string[] {
  return op === 'add' ? ['ipset', 'restore'] : ['ipset', '-exist', 'restore'];
}
