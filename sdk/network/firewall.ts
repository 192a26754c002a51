/**
 * Pure iptables text: the rules conductor owns, as `iptables-restore --noflush` input and back.
 *
 * Every rule lives in a conductor chain and carries `-m comment --comment conductor:<root-id>:<name>`:
 *   filter CONDUCTOR-FORWARD      ← FORWARD (position 1)      isolation, peers, published ports, internet
 *   filter CONDUCTOR-INPUT        ← INPUT (position 1)        host services closed to containers (below)
 *   nat    CONDUCTOR-PREROUTING   ← PREROUTING (position 1)   DNAT of published ports from other hosts
 *   nat    CONDUCTOR-OUTPUT       ← OUTPUT (position 1)       DNAT of published ports from the host itself
 *   nat    CONDUCTOR-POSTROUTING  ← POSTROUTING (position 1)  SNAT to the gateway, MASQUERADE for --internet
 *   raw    CONDUCTOR-PREROUTING   ← PREROUTING (position 1)   the loopback guard (below), shared
 * The chains, hooks and the guard are created once and left in place when empty: removing them would
 * race with a concurrent addnetwork from another state root, and an empty chain costs nothing.
 *
 * The loopback guard: conductor turns route_localnet on for a publishing container's host veth (see
 * netplan.ts), so a container could otherwise send packets to the host's 127.0.0.1 services through
 * it (CVE-2020-8558). Two rules drop anything arriving on any `cnd+` veth with a 127/8 source or
 * destination. Raw PREROUTING sees packets before any de-NAT, so legitimate replies (addressed to
 * the gateway) never carry a 127/8 address there. One shared pair, not one per container: deleting
 * rules is the slow part of nf_tables (~15 ms per table touched), and the guard must never lapse.
 *
 * The input guard: a container reaches the host itself (its gateway address, or any host address
 * it routes to with --internet) through INPUT, not FORWARD, so without a rule there every service
 * bound to 0.0.0.0 on the host answers every container. CONDUCTOR-INPUT accepts, from `cnd+`,
 * replies to connections the host opened (--ctdir REPLY: tcp_loose would otherwise let a forged
 * mid-stream ACK count as ESTABLISHED), then each container's own opt-ins (its resolvers' port 53,
 * `allowHost` ports, all with `-s` its own address), and drops the rest. The shared pair is made
 * with the chain and, like the loopback guard, never removed.
 *
 * The forward guard: while conductor is the one that switched net.ipv4.ip_forward on, the host
 * would otherwise route between all its other interfaces too (under a FORWARD ACCEPT policy), so
 * CONDUCTOR-FORWARD drops what neither enters nor leaves a `cnd+` veth. Added and removed with
 * conductor's ip_forward marker (network.ts), never while forwarding is the host's own choice.
 * Built-in chains are never flushed and policies never touched.
 */
import { ConductorError } from '../errors.ts';
import type { PortMapping } from '../types.ts';

export type Table = 'raw' | 'nat' | 'filter';

/** One rule: `-I <chain> 1 <spec>` when `insert`, else `-A <chain> <spec>`; deleted by `-D <chain> <spec>`. */
export interface Rule {
  table: Table;
  chain: string;
  insert: boolean;
  spec: string[];
}

export interface OwnedChain {
  table: Table;
  chain: string;
  parent: string;
}

export const OWNED_CHAINS: readonly OwnedChain[] = [
  { table: 'filter', chain: 'CONDUCTOR-FORWARD', parent: 'FORWARD' },
  { table: 'filter', chain: 'CONDUCTOR-INPUT', parent: 'INPUT' },
  { table: 'nat', chain: 'CONDUCTOR-PREROUTING', parent: 'PREROUTING' },
  { table: 'nat', chain: 'CONDUCTOR-OUTPUT', parent: 'OUTPUT' },
  { table: 'nat', chain: 'CONDUCTOR-POSTROUTING', parent: 'POSTROUTING' },
  { table: 'raw', chain: 'CONDUCTOR-PREROUTING', parent: 'PREROUTING' },
];

const TABLE_ORDER: readonly Table[] = ['raw', 'nat', 'filter'];

/** `conductor:<root-id>:<container>`: the comment that names a rule's owner. */
export function commentTag(rootId: string, name: string): string {
  return `conductor:${rootId}:${name}`;
}

// Tokens end up in iptables-restore text, which is split on whitespace: refuse anything that could
// smuggle a second rule in (names are validated upstream; this is the last line of defence).
const SAFE_TOKEN = /^[A-Za-z0-9_.:,/+!-]+$/;

function tagged(spec: string[], tag: string, target: string[]): string[] {
  const out = [...spec, '-m', 'comment', '--comment', tag, '-j', ...target];
  for (const t of out) {
    if (!SAFE_TOKEN.test(t)) throw new ConductorError('INVALID_ARGUMENT', `unsafe iptables token ${JSON.stringify(t)}`);
  }
  return out;
}

export interface ContainerRuleInput {
  tag: string;
  hostInterface: string;
  ip: string;
  gateway: string;
  ports: PortMapping[];
  internet: boolean;
  /** Interfaces carrying the host's default route (MASQUERADE and forward out of these only). */
  outInterfaces: string[];
  /** Host TCP ports the container may connect to (opt-in; every other host port is closed). */
  allowHost?: number[];
  /** Resolvers its resolv.conf names: port 53 on those that are host addresses stays open. */
  dnsServers?: string[];
}

/**
 * The rules one container needs. ACCEPTs are inserted at the top of CONDUCTOR-FORWARD and the
 * container's two DROPs appended, so a later container's peer ACCEPT is never shadowed by an earlier
 * container's DROP; the DROPs make isolation independent of the host's FORWARD policy.
 */
export function containerRules(c: ContainerRuleInput): Rule[] {
  const v = c.hostInterface;
  const fwd = (insert: boolean, spec: string[], target: string): Rule => ({
    table: 'filter', chain: 'CONDUCTOR-FORWARD', insert, spec: tagged(spec, c.tag, [target]),
  });
  const rules: Rule[] = [];
  // Replies only (--ctdir REPLY): a packet conntrack picked up mid-stream (tcp_loose) is ORIGINAL.
  rules.push(fwd(true, ['-o', v, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '--ctdir', 'REPLY'], 'ACCEPT'));
  rules.push(fwd(true, ['-i', v, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '--ctdir', 'REPLY'], 'ACCEPT'));
  for (const p of c.ports) {
    // Only connections that came through a published port's DNAT, not routed straight to the address.
    rules.push(fwd(true, ['-o', v, '-d', `${c.ip}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', String(p.container),
      '-m', 'conntrack', '--ctstate', 'DNAT'], 'ACCEPT'));
  }
  if (c.internet) {
    // -s: only its own address leaves (rp_filter on the veth backs this up): no forged sources.
    for (const out of c.outInterfaces) rules.push(fwd(true, ['-i', v, '-s', `${c.ip}/32`, '-o', out], 'ACCEPT'));
  }
  rules.push(fwd(false, ['-i', v], 'DROP'));
  rules.push(fwd(false, ['-o', v], 'DROP'));

  const input = (spec: string[]): Rule => ({
    table: 'filter', chain: 'CONDUCTOR-INPUT', insert: true, spec: tagged(['-i', v, '-s', `${c.ip}/32`, ...spec], c.tag, ['ACCEPT']),
  });
  // INPUT only sees packets for the host's own addresses: a resolver elsewhere never matches here.
  for (const ns of c.dnsServers ?? []) {
    for (const proto of ['udp', 'tcp']) rules.push(input(['-d', `${ns}/32`, '-p', proto, '-m', proto, '--dport', '53']));
  }
  for (const port of c.allowHost ?? []) rules.push(input(['-p', 'tcp', '-m', 'tcp', '--dport', String(port)]));

  for (const p of c.ports) {
    const match = ['-p', 'tcp', '-m', 'addrtype', '--dst-type', 'LOCAL', '-m', 'tcp', '--dport', String(p.host)];
    const target = ['DNAT', '--to-destination', `${c.ip}:${p.container}`];
    rules.push({ table: 'nat', chain: 'CONDUCTOR-PREROUTING', insert: false, spec: tagged(match, c.tag, target) });
    rules.push({ table: 'nat', chain: 'CONDUCTOR-OUTPUT', insert: false, spec: tagged(match, c.tag, target) });
  }
  if (c.ports.length > 0) {
    // Loopback clients are always rewritten to the gateway (127/8 must not reach the wire). Without
    // --internet the container has no route back to arbitrary clients, so every published
    // connection is rewritten; with it, remote client addresses are preserved.
    const who = c.internet ? ['-s', '127.0.0.0/8', '-o', v] : ['-o', v, '-m', 'conntrack', '--ctstate', 'DNAT'];
    rules.push({ table: 'nat', chain: 'CONDUCTOR-POSTROUTING', insert: false, spec: tagged(who, c.tag, ['SNAT', '--to-source', c.gateway]) });
  }
  if (c.internet) {
    for (const out of c.outInterfaces) {
      rules.push({ table: 'nat', chain: 'CONDUCTOR-POSTROUTING', insert: false, spec: tagged(['-s', `${c.ip}/32`, '-o', out], c.tag, ['MASQUERADE']) });
    }
  }
  return rules;
}

export interface PeerRuleEnd {
  tag: string;
  hostInterface: string;
  ip: string;
}

/**
 * Both directions between two containers' veths, each rule owned by the container it leaves from,
 * and only from that container's own address (a peer cannot pass off another container's).
 */
export function peerRules(a: PeerRuleEnd, b: PeerRuleEnd): Rule[] {
  const one = (from: PeerRuleEnd, to: PeerRuleEnd): Rule => ({
    table: 'filter', chain: 'CONDUCTOR-FORWARD', insert: true,
    spec: tagged(['-i', from.hostInterface, '-s', `${from.ip}/32`, '-o', to.hostInterface], from.tag, ['ACCEPT']),
  });
  return [one(a, b), one(b, a)];
}

/** `iptables-restore --noflush` input adding (or deleting) the rules, one COMMIT per table. */
export function restoreText(rules: Rule[], op: 'add' | 'delete'): string {
  const out: string[] = [];
  for (const table of TABLE_ORDER) {
    const mine = rules.filter((r) => r.table === table);
    if (mine.length === 0) continue;
    out.push(`*${table}`);
    for (const r of mine) {
      const head = op === 'delete' ? ['-D', r.chain] : r.insert ? ['-I', r.chain, '1'] : ['-A', r.chain];
      out.push([...head, ...r.spec].join(' '));
    }
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/**
 * The same changes as single `iptables` commands: a restore batch is atomic, so one rule already gone
 * would fail the whole batch; undo falls back to these one by one.
 */
export function restoreTextToArgvs(text: string): string[][] {
  const out: string[][] = [];
  let table = 'filter';
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l.startsWith('*')) table = l.slice(1);
    else if (l.startsWith('-')) out.push(['iptables', '-w', '-t', table, ...l.split(/\s+/)]);
  }
  return out;
}

/** `iptables-save` output as table → lines. */
export function parseSave(text: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      cur = [];
      tables.set(line.slice(1).trim(), cur);
    } else if (cur && (line.startsWith(':') || line.startsWith('-A '))) {
      cur.push(line.trim());
    }
  }
  return tables;
}

function hasChain(lines: string[], chain: string): boolean {
  return lines.some((l) => l.startsWith(`:${chain} `));
}

function hasHook(lines: string[], parent: string, chain: string): boolean {
  return lines.some((l) => l.startsWith(`-A ${parent} `) && l.endsWith(`-j ${chain}`));
}

export const GUARD_COMMENT = 'conductor-loopback-guard';
const GUARD = ['-s', '-d'].map((dir) => ({ dir, spec: `-i cnd+ ${dir} 127.0.0.0/8 -m comment --comment ${GUARD_COMMENT} -j DROP` }));

function hasGuard(lines: string[], dir: string): boolean {
  return lines.some((l) => l.startsWith('-A CONDUCTOR-PREROUTING ') && l.includes(GUARD_COMMENT) && l.includes(`${dir} 127.0.0.0/8`));
}

export const INPUT_GUARD_COMMENT = 'conductor-input-guard';
// The ACCEPT goes first and the DROP last whatever the chain holds, so either can be put back alone.
const INPUT_GUARD = [
  { kind: 'ACCEPT', line: `-I CONDUCTOR-INPUT 1 -i cnd+ -m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY -m comment --comment ${INPUT_GUARD_COMMENT} -j ACCEPT` },
  { kind: 'DROP', line: `-A CONDUCTOR-INPUT -i cnd+ -m comment --comment ${INPUT_GUARD_COMMENT} -j DROP` },
];

function hasInputGuard(lines: string[], kind: string): boolean {
  return lines.some((l) => l.startsWith('-A CONDUCTOR-INPUT ') && l.includes(INPUT_GUARD_COMMENT) && l.endsWith(`-j ${kind}`));
}

export const FORWARD_GUARD_COMMENT = 'conductor-forward-guard';
const FORWARD_GUARD_SPEC = `CONDUCTOR-FORWARD ! -i cnd+ ! -o cnd+ -m comment --comment ${FORWARD_GUARD_COMMENT} -j DROP`;

/** Whether iptables-save text holds the forward guard. */
export function hasForwardGuard(save: string): boolean {
  return (parseSave(save).get('filter') ?? []).some((l) => l.startsWith('-A CONDUCTOR-FORWARD ') && l.includes(FORWARD_GUARD_COMMENT));
}

/** Restore text adding or deleting the forward guard (the chain exists: ensureChains ran first). */
export function forwardGuardText(op: 'add' | 'delete'): string {
  return `*filter\n${op === 'add' ? '-A' : '-D'} ${FORWARD_GUARD_SPEC}\nCOMMIT\n`;
}

/** Restore text creating whichever owned chains, hooks and guard rules are missing, or null when all exist. */
export function chainSetupText(save: string): string | null {
  const tables = parseSave(save);
  const out: string[] = [];
  for (const table of TABLE_ORDER) {
    const lines = tables.get(table) ?? [];
    const body: string[] = [];
    for (const c of OWNED_CHAINS.filter((x) => x.table === table)) {
      // Declaring an existing chain in --noflush mode flushes it: only declare missing ones.
      if (!hasChain(lines, c.chain)) body.push(`:${c.chain} - [0:0]`);
      if (!hasHook(lines, c.parent, c.chain)) body.push(`-I ${c.parent} 1 -j ${c.chain}`);
    }
    if (table === 'raw') {
      for (const g of GUARD) if (!hasGuard(lines, g.dir)) body.push(`-A CONDUCTOR-PREROUTING ${g.spec}`);
    }
    if (table === 'filter') {
      for (const g of INPUT_GUARD) if (!hasInputGuard(lines, g.kind)) body.push(g.line);
    }
    if (body.length) out.push(`*${table}`, ...body, 'COMMIT');
  }
  return out.length ? out.join('\n') + '\n' : null;
}

function conductorLines(save: string, table: string, chain: string): string[] {
  return (parseSave(save).get(table) ?? []).filter((l) => l.startsWith(`-A ${chain} `) && l.includes('conductor:'));
}

/** Host ports any conductor (any state root) publishes right now. */
export function publishedHostPorts(save: string): Set<number> {
  const ports = new Set<number>();
  for (const l of conductorLines(save, 'nat', 'CONDUCTOR-PREROUTING')) {
    const m = / --dport (\d+) /.exec(l);
    if (m) ports.add(Number(m[1]));
  }
  return ports;
}

/**
 * Conductor rules, other than `exceptTag`'s, that need net.ipv4.ip_forward: published-port DNATs and
 * MASQUERADEs. Zero means the last such container is gone.
 */
export function forwardingUsers(save: string, exceptTag: string): number {
  const mine = (l: string) => l.includes(`"${exceptTag}"`) || l.includes(` ${exceptTag} `);
  const dnat = conductorLines(save, 'nat', 'CONDUCTOR-PREROUTING');
  const masq = conductorLines(save, 'nat', 'CONDUCTOR-POSTROUTING').filter((l) => l.endsWith('-j MASQUERADE'));
  return [...dnat, ...masq].filter((l) => !mine(l)).length;
}
