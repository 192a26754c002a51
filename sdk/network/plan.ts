/**
 * Pure network plans: the exact host changes (`Step[]`) for addnetwork / peer / unpeer. No I/O
 * here; facts.ts gathers facts, apply.ts runs plans.
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
import { isIPv4 } from 'node:net';
import { ConductorError } from '../errors.ts';
import { commentTag, containerRules, restoreText, type Rule } from './firewall.ts';
import { containerElements, ipsetRestoreArgv, ipsetRestoreText, peerElements, type SetElement } from './sets.ts';
import type { HostOp, PortMapping, UndoStep } from '../types.ts';

/** One planned host change and, unless it goes away by itself, its undo (recorded before it runs). */
export interface Step {
  op: HostOp;
  undo?: UndoStep;
  about: string;
}

const exec = (argv: string[], input?: string): HostOp =>
  input === undefined ? { kind: 'exec', argv } : { kind: 'exec', argv, input };
const RESTORE = ['iptables-restore', '-w', '--noflush'];

export interface AddNetworkInput {
  rootId: string;
  name: string;
  /** The container's init PID (host view): its netns is /proc/<pid>/ns/net. A word (`INIT_PID`) in run's dry run. */
  pid: number | string;
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

function sysctlStep(key: string, value: string, about: string): Step {
  return {
    op: { kind: 'sysctl', key, value },
    about,
    undo: { op: { kind: 'sysctl', key, value: '0' }, about: `reset ${key}` },
  };
}

/** A setting of the veth itself: it goes with the device, so there is nothing to undo. */
function deviceSysctlStep(key: string, value: string, about: string): Step {
  return { op: { kind: 'sysctl', key, value }, about };
}

/** Per-veth settings made before its host end is up (see the header). */
function hardenVethSteps(v: string): Step[] {
  return [
    deviceSysctlStep(
      `net.ipv6.conf.${v}.disable_ipv6`,
      '1',
      `no IPv6 on ${v} (router advertisements, link-local paths to the host)`,
    ),
    deviceSysctlStep(`net.ipv6.conf.${v}.accept_ra`, '0', `ignore router advertisements on ${v}`),
    deviceSysctlStep(
      `net.ipv4.conf.${v}.rp_filter`,
      '1',
      `drop packets on ${v} whose source is not routed back through it`,
    ),
  ];
}

/** Set elements (sets.ts): added by one `ipset restore`, deleted by another that tolerates what is gone. */
function ipsetStep(elements: SetElement[], about: string): Step {
  return {
    op: exec(ipsetRestoreArgv('add'), ipsetRestoreText(elements, 'add')),
    about,
    undo: { op: exec(ipsetRestoreArgv('del'), ipsetRestoreText(elements, 'del')), about: `remove: ${about}` },
  };
}

function iptablesStep(rules: Rule[], about: string): Step {
  return {
    op: exec(RESTORE, restoreText(rules, 'add')),
    about,
    undo: { op: exec(RESTORE, restoreText(rules, 'delete')), about: `remove: ${about}` },
  };
}

/**
 * Every host change of `addnetwork`, in order. Each host-side step carries its undo; the one step
 * inside the container's netns has none (it vanishes with the veth and the namespace, and entering
 * a recorded PID's netns at stop time could hit a reused PID).
 * @example describePlan(planAddNetwork({ ...facts, ip: '10.177.0.2', internet: true }))
 */
export function planAddNetwork(p: AddNetworkInput): Step[] {
  const tag = commentTag(p.rootId, p.name);
  const v = p.hostInterface;
  const netns = `--net=/proc/${p.pid}/ns/net`;
  const steps: Step[] = [];
  steps.push({
    op: exec(['ip', 'link', 'add', v, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(p.pid)]),
    about: `veth ${v} <-> eth0 of "${p.name}" (both down)`,
    undo: { op: exec(['ip', 'link', 'del', v]), about: `delete veth ${v} (and its peer)` },
  });
  steps.push(...hardenVethSteps(v));
  // -e: a kernel without IPv6 has no such keys, and nothing to switch off.
  steps.push({
    op: exec([
      'nsenter',
      netns,
      'sysctl',
      '-q',
      '-e',
      '-w',
      'net.ipv6.conf.eth0.disable_ipv6=1',
      'net.ipv6.conf.eth0.accept_ra=0',
    ]),
    about: `no IPv6 on eth0 of "${p.name}"`,
  });
  steps.push({
    op: exec(
      ['ip', '-b', '-'],
      [`addr add ${p.gateway}/32 dev ${v}`, `link set ${v} up`, `route add ${p.ip}/32 dev ${v} src ${p.gateway}`].join(
        '\n',
      ) + '\n',
    ),
    about: `bring up ${v}, route ${p.ip} via it`,
  });
  steps.push({
    op: exec(
      ['nsenter', netns, 'ip', '-b', '-'],
      [
        'link set lo up',
        `addr add ${p.ip}/32 dev eth0`,
        'link set eth0 up',
        `route add ${p.gateway}/32 dev eth0 src ${p.ip}`,
        `route add ${p.subnet} via ${p.gateway} dev eth0 src ${p.ip}`,
        ...(p.internet ? [`route add default via ${p.gateway} dev eth0`] : []),
      ].join('\n') + '\n',
    ),
    about: `configure eth0 ${p.ip} in "${p.name}"${p.internet ? ' with a default route' : ''}`,
  });
  // IPv4 forwarding is decided by the ingress device: peers and the container's own outbound
  // traffic need it only on this veth.
  steps.push(sysctlStep(`net.ipv4.conf.${v}.forwarding`, '1', `forward packets arriving on ${v}`));
  if (p.ports.length > 0) {
    steps.push(
      sysctlStep(`net.ipv4.conf.${v}.route_localnet`, '1', `let 127.0.0.1 publishing leave through ${v} only`),
    );
  }
  const allowHost = p.allowHost ?? [];
  const rules = containerRules({
    tag,
    hostInterface: v,
    ip: p.ip,
    gateway: p.gateway,
    ports: p.ports,
    internet: p.internet,
    outInterfaces: p.outInterfaces,
  });
  const elements = containerElements({
    tag,
    hostInterface: v,
    ip: p.ip,
    ports: p.ports,
    internet: p.internet,
    outInterfaces: p.outInterfaces,
    allowHost,
    dnsServers: p.internet ? nameserversOf(p.resolvContent) : [],
  });
  const forwards = p.internet || p.ports.length > 0;
  if (forwards) {
    // The release is the undo of a step *before* the rules, so it runs after they are deleted;
    // switching on comes *after* them. Then a release counting other containers' rules (ip-forward.ts)
    // sees every rule whose container has switched forwarding on or is about to, and two
    // concurrent stops cannot each keep forwarding on for the other.
    steps.push({
      op: { kind: 'forwarding-hold' },
      about: 'ip_forward: nothing yet (the undo releases it once the rules below are gone)',
      undo: {
        op: { kind: 'forwarding-release', tag },
        about: 'restore net.ipv4.ip_forward=0 if conductor enabled it and no conductor NAT rule is left',
      },
    });
  }
  const publish = p.ports.length ? `, publish ${p.ports.map((x) => `${x.host}->${x.container}`).join(' ')}` : '';
  const hostPorts = allowHost.length ? `, host ports ${allowHost.join(' ')}` : '';
  steps.push(ipsetStep(elements, `isolate "${p.name}"${publish}${p.internet ? ', internet' : ''}${hostPorts}`));
  if (rules.length > 0)
    steps.push(iptablesStep(rules, `NAT for "${p.name}"${publish}${p.internet ? ', masquerade' : ''}`));
  if (forwards) {
    steps.push({
      op: { kind: 'forwarding-on' },
      about: "enable net.ipv4.ip_forward (replies from outside arrive on the host's interfaces)",
    });
  }
  if (p.internet && p.resolvContent !== null) {
    steps.push({
      op: { kind: 'write-in-place', file: p.resolvPath, content: p.resolvContent },
      about: `resolv.conf of "${p.name}" from the host's resolvers`,
      undo: {
        op: { kind: 'write-in-place', file: p.resolvPath, content: p.resolvBefore },
        about: `restore resolv.conf of "${p.name}"`,
      },
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
  const elements = peerElements(
    { tag: commentTag(rootId, a.name), hostInterface: a.hostInterface, ip: a.ip },
    { tag: commentTag(rootId, b.name), hostInterface: b.hostInterface, ip: b.ip },
  );
  const hostsStep = (into: PeerEnd, other: PeerEnd): Step => ({
    op: { kind: 'hosts', action: 'add', file: into.hostsPath, ip: other.ip, name: other.name },
    about: `"${other.name}" resolves in "${into.name}"`,
    undo: {
      op: { kind: 'hosts', action: 'remove', file: into.hostsPath, ip: other.ip, name: other.name },
      about: `forget "${other.name}" in "${into.name}"`,
    },
  });
  return [ipsetStep(elements, `peer "${a.name}" <-> "${b.name}"`), hostsStep(a, b), hostsStep(b, a)];
}

/** The undo of planPeer, as steps, newest first. */
export function planUnpeer(rootId: string, x: PeerEnd, y: PeerEnd): Step[] {
  return planPeer(rootId, x, y)
    .reverse()
    .map((s) => ({ op: s.undo!.op, about: s.undo!.about }));
}
