/**
 * Pure iptables text: the rules conductor owns for each container and peer pair, as
 * `iptables-restore --noflush` input and back. Every rule lives in a conductor chain (chains.ts)
 * and carries `-m comment --comment conductor:<root-id>:<name>`.
 */
import { ConductorError } from '../errors.ts';
import { isValidName } from '../names.ts';
import type { PortMapping } from '../types.ts';

export type Table = 'raw' | 'nat' | 'filter';

/** One rule: `-I <chain> 1 <spec>` when `insert`, else `-A <chain> <spec>`; deleted by `-D <chain> <spec>`. */
export interface Rule {
  table: Table;
  chain: string;
  insert: boolean;
  spec: string[];
}

export const TABLE_ORDER: readonly Table[] = ['raw', 'nat', 'filter'];

/**
 * `conductor:<root-id>:<container>`: the comment that names a rule's owner (the one place it is
 * spelled). The name goes into iptables' argv, so only a valid container name is accepted.
 */
export function commentTag(rootId: string, name: string): string {
  if (!isValidName(name)) throw new ConductorError('INVALID_NAME', `invalid container name ${JSON.stringify(name)}`);
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
    table: 'filter',
    chain: 'CONDUCTOR-FORWARD',
    insert,
    spec: tagged(spec, c.tag, [target]),
  });
  const rules: Rule[] = [];
  // Replies only (--ctdir REPLY): a packet conntrack picked up mid-stream (tcp_loose) is ORIGINAL.
  rules.push(fwd(true, ['-o', v, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '--ctdir', 'REPLY'], 'ACCEPT'));
  rules.push(fwd(true, ['-i', v, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '--ctdir', 'REPLY'], 'ACCEPT'));
  for (const p of c.ports) {
    // Only connections that came through a published port's DNAT, not routed straight to the address.
    rules.push(
      fwd(
        true,
        [
          '-o',
          v,
          '-d',
          `${c.ip}/32`,
          '-p',
          'tcp',
          '-m',
          'tcp',
          '--dport',
          String(p.container),
          '-m',
          'conntrack',
          '--ctstate',
          'DNAT',
        ],
        'ACCEPT',
      ),
    );
  }
  if (c.internet) {
    // -s: only its own address leaves (rp_filter on the veth backs this up): no forged sources.
    for (const out of c.outInterfaces) rules.push(fwd(true, ['-i', v, '-s', `${c.ip}/32`, '-o', out], 'ACCEPT'));
  }
  rules.push(fwd(false, ['-i', v], 'DROP'));
  rules.push(fwd(false, ['-o', v], 'DROP'));

  const input = (spec: string[]): Rule => ({
    table: 'filter',
    chain: 'CONDUCTOR-INPUT',
    insert: true,
    spec: tagged(['-i', v, '-s', `${c.ip}/32`, ...spec], c.tag, ['ACCEPT']),
  });
  // INPUT only sees packets for the host's own addresses: a resolver elsewhere never matches here.
  for (const ns of c.dnsServers ?? []) {
    for (const proto of ['udp', 'tcp'])
      rules.push(input(['-d', `${ns}/32`, '-p', proto, '-m', proto, '--dport', '53']));
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
    rules.push({
      table: 'nat',
      chain: 'CONDUCTOR-POSTROUTING',
      insert: false,
      spec: tagged(who, c.tag, ['SNAT', '--to-source', c.gateway]),
    });
  }
  if (c.internet) {
    for (const out of c.outInterfaces) {
      rules.push({
        table: 'nat',
        chain: 'CONDUCTOR-POSTROUTING',
        insert: false,
        spec: tagged(['-s', `${c.ip}/32`, '-o', out], c.tag, ['MASQUERADE']),
      });
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
    table: 'filter',
    chain: 'CONDUCTOR-FORWARD',
    insert: true,
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
