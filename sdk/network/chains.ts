/**
 * Pure iptables text for conductor's own chains, their hooks and the shared guards, and what
 * `iptables-save` says about them.
 *
 * Every rule lives in a conductor chain and carries `-m comment --comment conductor:<root-id>:<name>`:
 *   filter CONDUCTOR-FORWARD      ← FORWARD (position 1)      isolation, peers, published ports, internet
 *   filter CONDUCTOR-INPUT        ← INPUT (position 1)        host services closed to containers (below)
 * (the filter chains hold fixed rules matching conductor's ipsets, whose elements are per container: sets.ts)
 *   nat    CONDUCTOR-PREROUTING   ← PREROUTING (position 1)   DNAT of published ports from other hosts
 *   nat    CONDUCTOR-OUTPUT       ← OUTPUT (position 1)       DNAT of published ports from the host itself
 *   nat    CONDUCTOR-POSTROUTING  ← POSTROUTING (position 1)  SNAT to the gateway, MASQUERADE for --internet
 *   raw    CONDUCTOR-PREROUTING   ← PREROUTING (position 1)   the loopback guard (below), shared
 * The chains, hooks and the guard are created once and left in place when empty: removing them would
 * race with a concurrent addnetwork from another state root, and an empty chain costs nothing.
 *
 * The loopback guard: conductor turns route_localnet on for a publishing container's host veth (see
 * plan.ts), so a container could otherwise send packets to the host's 127.0.0.1 services through
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
 * conductor's ip_forward marker (ip-forward.ts), never while forwarding is the host's own choice.
 * Built-in chains are never flushed and policies never touched.
 */
import { TABLE_ORDER, type Table } from './firewall.ts';
import { SET_RULES } from './sets.ts';

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
const GUARD = ['-s', '-d'].map((dir) => ({
  dir,
  spec: `-i cnd+ ${dir} 127.0.0.0/8 -m comment --comment ${GUARD_COMMENT} -j DROP`,
}));

function hasGuard(lines: string[], dir: string): boolean {
  return lines.some(
    (l) => l.startsWith('-A CONDUCTOR-PREROUTING ') && l.includes(GUARD_COMMENT) && l.includes(`${dir} 127.0.0.0/8`),
  );
}

export const INPUT_GUARD_COMMENT = 'conductor-input-guard';
// The ACCEPT goes first and the DROP last whatever the chain holds, so either can be put back alone.
const INPUT_GUARD = [
  {
    kind: 'ACCEPT',
    line:
      '-I CONDUCTOR-INPUT 1 -i cnd+ -m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY ' +
      `-m comment --comment ${INPUT_GUARD_COMMENT} -j ACCEPT`,
  },
  { kind: 'DROP', line: `-A CONDUCTOR-INPUT -i cnd+ -m comment --comment ${INPUT_GUARD_COMMENT} -j DROP` },
];

function hasInputGuard(lines: string[], kind: string): boolean {
  return lines.some(
    (l) => l.startsWith('-A CONDUCTOR-INPUT ') && l.includes(INPUT_GUARD_COMMENT) && l.endsWith(`-j ${kind}`),
  );
}

export const FORWARD_GUARD_COMMENT = 'conductor-forward-guard';
const FORWARD_GUARD_SPEC =
  'CONDUCTOR-FORWARD ! -i cnd+ ! -o cnd+ ' + `-m comment --comment ${FORWARD_GUARD_COMMENT} -j DROP`;

/** Whether iptables-save text holds the forward guard. */
export function hasForwardGuard(save: string): boolean {
  return (parseSave(save).get('filter') ?? []).some(
    (l) => l.startsWith('-A CONDUCTOR-FORWARD ') && l.includes(FORWARD_GUARD_COMMENT),
  );
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
      // ACCEPTs at the top, DROPs at the end, whatever the chain holds already (sets.ts).
      for (const r of SET_RULES) {
        if (!lines.includes(`-A ${r.chain} ${r.spec}`))
          body.push(r.append ? `-A ${r.chain} ${r.spec}` : `-I ${r.chain} 1 ${r.spec}`);
      }
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
 * Conductor rules, other than those of `exceptTags`, that need net.ipv4.ip_forward: published-port
 * DNATs and MASQUERADEs. Zero means the last such container is gone.
 */
export function forwardingUsers(save: string, exceptTags: readonly string[]): number {
  const mine = (l: string) => exceptTags.some((t) => l.includes(`"${t}"`) || l.includes(` ${t} `));
  const dnat = conductorLines(save, 'nat', 'CONDUCTOR-PREROUTING');
  const masq = conductorLines(save, 'nat', 'CONDUCTOR-POSTROUTING').filter((l) => l.endsWith('-j MASQUERADE'));
  return [...dnat, ...masq].filter((l) => !mine(l)).length;
}
