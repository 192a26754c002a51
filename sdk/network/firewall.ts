/**
 * Pure iptables text: the NAT rules conductor owns for each container, as
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
}

/**
 * The NAT rules one container needs (its filtering is set elements, sets.ts): published ports'
 * DNATs, the SNAT that keeps loopback and foreign clients off the wire, and MASQUERADE for
 * --internet. NAT rules are walked by a connection's first packet only.
 */
export function containerRules(c: ContainerRuleInput): Rule[] {
  const v = c.hostInterface;
  const rules: Rule[] = [];
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
