import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describePlan } from '../../../sdk/network/describe.ts';
import {
  nameserversOf,
  planAddNetwork,
  planPeer,
  planUnpeer,
  type AddNetworkInput,
  type PeerEnd,
} from '../../../sdk/network/plan.ts';
import { failure } from '../../helpers/expect-error.ts';
import type { HostOp } from '../../../sdk/types.ts';

/** A step's command line and stdin when it runs a host tool (empty otherwise). */
const argv = (s: { op: HostOp }): string[] => (s.op.kind === 'exec' ? s.op.argv : []);
const input = (s: { op: HostOp }): string | undefined => (s.op.kind === 'exec' ? s.op.input : undefined);
/** A step in one short line: the tool and its first argument, or the kind of in-process operation and its target. */
const label = (op: HostOp): string => {
  switch (op.kind) {
    case 'exec':
      return op.argv.slice(0, 2).join(' ');
    case 'sysctl':
      return `sysctl ${op.key}`;
    case 'write-in-place':
      return `write-in-place ${op.file}`;
    case 'hosts':
      return `hosts ${op.action} ${op.file}`;
    default:
      return op.kind;
  }
};

const base: AddNetworkInput = {
  rootId: 'abcd1234',
  name: 'web',
  pid: 4242,
  hostInterface: 'cnd0badf00d',
  ip: '10.177.0.2',
  gateway: '10.177.0.1',
  subnet: '10.177.0.0/16',
  internet: false,
  ports: [],
  outInterfaces: ['eth0'],
  resolvPath: '/r/.containers/web/resolv.conf',
  resolvContent: 'nameserver 192.0.2.53\n',
  resolvBefore: '',
};

test('addnetwork plan without internet or ports (golden)', () => {
  assert.equal(describePlan(planAddNetwork(base)), [
    '# veth cnd0badf00d <-> eth0 of "web" (both down)',
    'ip link add cnd0badf00d type veth peer name eth0 netns 4242',
    '# no IPv6 on cnd0badf00d (router advertisements, link-local paths to the host)',
    'sysctl -qw net.ipv6.conf.cnd0badf00d.disable_ipv6=1',
    '# ignore router advertisements on cnd0badf00d',
    'sysctl -qw net.ipv6.conf.cnd0badf00d.accept_ra=0',
    '# drop packets on cnd0badf00d whose source is not routed back through it',
    'sysctl -qw net.ipv4.conf.cnd0badf00d.rp_filter=1',
    '# no IPv6 on eth0 of "web"',
    'nsenter --net=/proc/4242/ns/net sysctl -q -e -w net.ipv6.conf.eth0.disable_ipv6=1 net.ipv6.conf.eth0.accept_ra=0',
    '# bring up cnd0badf00d, route 10.177.0.2 via it',
    "ip -b - <<'EOF'",
    'addr add 10.177.0.1/32 dev cnd0badf00d',
    'link set cnd0badf00d up',
    'route add 10.177.0.2/32 dev cnd0badf00d src 10.177.0.1',
    'EOF',
    '# configure eth0 10.177.0.2 in "web"',
    "nsenter --net=/proc/4242/ns/net ip -b - <<'EOF'",
    'link set lo up',
    'addr add 10.177.0.2/32 dev eth0',
    'link set eth0 up',
    'route add 10.177.0.1/32 dev eth0 src 10.177.0.2',
    'route add 10.177.0.0/16 via 10.177.0.1 dev eth0 src 10.177.0.2',
    'EOF',
    '# forward packets arriving on cnd0badf00d',
    'sysctl -qw net.ipv4.conf.cnd0badf00d.forwarding=1',
    '# isolate "web"',
    "ipset restore <<'EOF'",
    'add conductor-addr 10.177.0.2,cnd0badf00d comment "conductor:abcd1234:web"',
    'EOF',
  ]);
});

test('addnetwork plan with internet and two published ports (golden)', () => {
  const steps = planAddNetwork({
    ...base,
    internet: true,
    ports: [
      { container: 8080, host: 3000 },
      { container: 22, host: 2222 },
    ],
  }).slice(5);
  assert.equal(
    steps.map((s) => label(s.op)),
    [
      'ip -b',
      'nsenter --net=/proc/4242/ns/net',
      'sysctl net.ipv4.conf.cnd0badf00d.forwarding',
      'sysctl net.ipv4.conf.cnd0badf00d.route_localnet',
      'forwarding-hold',
      'ipset restore',
      'iptables-restore -w',
      'forwarding-on',
      'write-in-place /r/.containers/web/resolv.conf',
    ],
  );
  assert.ok(input(steps[1]!)!.includes('route add default via 10.177.0.1 dev eth0\n'));
  assert.equal(steps[3]!.op, { kind: 'sysctl', key: 'net.ipv4.conf.cnd0badf00d.route_localnet', value: '1' });
  const T = '-m comment --comment conductor:abcd1234:web';
  const C = 'comment "conductor:abcd1234:web"';
  assert.is(
    input(steps[5]!),
    [
      `add conductor-addr 10.177.0.2,cnd0badf00d ${C}`,
      `add conductor-pub 10.177.0.2,tcp:8080 ${C}`,
      `add conductor-pub 10.177.0.2,tcp:22 ${C}`,
      `add conductor-out 10.177.0.2,eth0 ${C}`,
      `add conductor-dns 10.177.0.2,udp:53,192.0.2.53 ${C}`,
      `add conductor-dns 10.177.0.2,tcp:53,192.0.2.53 ${C}`,
      '',
    ].join('\n'),
  );
  // The undo deletes the same elements, tolerating those already gone.
  assert.equal(argv(steps[5]!.undo!), ['ipset', '-exist', 'restore']);
  assert.is(input(steps[5]!.undo!), input(steps[5]!)!.replace(/^add (\S+ \S+) comment .*$/gm, 'del $1'));
  assert.is(
    input(steps[6]!),
    [
      '*nat',
      '-A CONDUCTOR-PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp ' +
        `--dport 3000 ${T} -j DNAT --to-destination 10.177.0.2:8080`,
      '-A CONDUCTOR-OUTPUT -p tcp -m addrtype --dst-type LOCAL -m tcp ' +
        `--dport 3000 ${T} -j DNAT --to-destination 10.177.0.2:8080`,
      '-A CONDUCTOR-PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp ' +
        `--dport 2222 ${T} -j DNAT --to-destination 10.177.0.2:22`,
      '-A CONDUCTOR-OUTPUT -p tcp -m addrtype --dst-type LOCAL -m tcp ' +
        `--dport 2222 ${T} -j DNAT --to-destination 10.177.0.2:22`,
      `-A CONDUCTOR-POSTROUTING -s 127.0.0.0/8 -o cnd0badf00d ${T} -j SNAT --to-source 10.177.0.1`,
      `-A CONDUCTOR-POSTROUTING -s 10.177.0.2/32 -o eth0 ${T} -j MASQUERADE`,
      'COMMIT',
      '',
    ].join('\n'),
  );
  // The undo deletes exactly the same specs.
  assert.is(input(steps[6]!.undo!), input(steps[6]!)!.replace(/^-[AI] (\S+)( 1)? /gm, '-D $1 '));
  // Undone in reverse: the release runs after the rules are deleted; switching on comes after adding them.
  assert.equal(steps[4]!.undo!.op, { kind: 'forwarding-release', tag: 'conductor:abcd1234:web' });
  assert.is(steps[7]!.undo, undefined);
  assert.equal(steps[8]!.op, { kind: 'write-in-place', file: base.resolvPath, content: base.resolvContent! });
  assert.equal(steps[8]!.undo, {
    op: { kind: 'write-in-place', file: base.resolvPath, content: '' },
    about: 'restore resolv.conf of "web"',
  });
});

test('published ports without internet rewrite every published connection to the gateway', () => {
  const text = input(
    planAddNetwork({ ...base, ports: [{ container: 80, host: 8080 }] }).find((s) => argv(s)[0] === 'iptables-restore')!,
  )!;
  assert.ok(
    text.includes(
      '-A CONDUCTOR-POSTROUTING -o cnd0badf00d -m conntrack --ctstate DNAT -m comment ' +
        '--comment conductor:abcd1234:web -j SNAT --to-source 10.177.0.1',
    ),
  );
  assert.not.ok(text.includes('MASQUERADE'));
});

test('every host-side add step has an undo, except settings of the veth itself, which die with it', () => {
  const steps = planAddNetwork({ ...base, internet: true, ports: [{ container: 8080, host: 3000 }] });
  const ofVeth = (s: (typeof steps)[number]) =>
    argv(s)[0] === 'nsenter' ||
    (s.op.kind === 'sysctl' &&
      /^net\.ipv[46]\.conf\.cnd0badf00d\.(disable_ipv6|accept_ra|rp_filter)$/.test(s.op.key)) ||
    (argv(s)[0] === 'ip' && argv(s)[1] === '-b' && !input(s)!.includes('link add')) ||
    s.op.kind === 'forwarding-on'; // released by the undo of its 'hold' step
  for (const s of steps) {
    if (ofVeth(s)) assert.is(s.undo, undefined, s.about);
    else assert.ok(s.undo && s.undo.about.length > 0, s.about);
    assert.ok(s.about.length > 0);
  }
  // The container step's change dies with the veth: deleting the host end is recorded first.
  assert.equal(steps[0]!.undo!.op, { kind: 'exec', argv: ['ip', 'link', 'del', 'cnd0badf00d'] });
});

test('names that could inject into iptables-restore text are refused', () => {
  failure(() => planAddNetwork({ ...base, name: 'web\n-A INPUT -j DROP' }), 'INVALID_NAME');
  failure(() => planAddNetwork({ ...base, hostInterface: 'eth0 -j ACCEPT' }), 'INVALID_ARGUMENT');
});

const A: PeerEnd = { name: 'api', ip: '10.177.0.2', hostInterface: 'cndaaaaaaaa', hostsPath: '/r/api/hosts' };
const B: PeerEnd = { name: 'db', ip: '10.177.0.3', hostInterface: 'cndbbbbbbbb', hostsPath: '/r/db/hosts' };

test('peer plan (golden), symmetric in its arguments', () => {
  assert.equal(describePlan(planPeer('abcd1234', A, B)), [
    '# peer "api" <-> "db"',
    "ipset restore <<'EOF'",
    'add conductor-peer 10.177.0.2,cndbbbbbbbb comment "conductor:abcd1234:api"',
    'add conductor-peer 10.177.0.3,cndaaaaaaaa comment "conductor:abcd1234:db"',
    'EOF',
    '# "db" resolves in "api"',
    "grep -qxF '10.177.0.3 db' /r/api/hosts || echo '10.177.0.3 db' >> /r/api/hosts",
    '# "api" resolves in "db"',
    "grep -qxF '10.177.0.2 api' /r/db/hosts || echo '10.177.0.2 api' >> /r/db/hosts",
  ]);
  assert.equal(planPeer('abcd1234', B, A), planPeer('abcd1234', A, B));
  for (const s of planPeer('abcd1234', A, B)) assert.ok(s.undo, s.about);
  failure(() => planPeer('abcd1234', A, A), 'INVALID_ARGUMENT');
});

test('unpeer plan is the peer undo, newest first (golden)', () => {
  const steps = planUnpeer('abcd1234', B, A);
  assert.equal(steps.map((s) => s.op).slice(0, 2), [
    { kind: 'hosts', action: 'remove', file: '/r/db/hosts', ip: '10.177.0.2', name: 'api' },
    { kind: 'hosts', action: 'remove', file: '/r/api/hosts', ip: '10.177.0.3', name: 'db' },
  ]);
  assert.equal(argv(steps[2]!), ['ipset', '-exist', 'restore']);
  assert.is(input(steps[2]!), 'del conductor-peer 10.177.0.2,cndbbbbbbbb\ndel conductor-peer 10.177.0.3,cndaaaaaaaa\n');
  assert.ok(describePlan(steps)[1]!.includes('in place'));
});

test('IPv6 is off and rp_filter on, on both ends, before either end is up', () => {
  const steps = planAddNetwork(base);
  const at = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
  const hostUp = at((s) => argv(s)[0] === 'ip' && (input(s) ?? '').includes('link set cnd0badf00d up'));
  const innerUp = at((s) => argv(s)[0] === 'nsenter' && (input(s) ?? '').includes('link set eth0 up'));
  const created = at((s) => argv(s).includes('add') && argv(s).includes('veth'));
  for (const key of [
    'net.ipv6.conf.cnd0badf00d.disable_ipv6',
    'net.ipv6.conf.cnd0badf00d.accept_ra',
    'net.ipv4.conf.cnd0badf00d.rp_filter',
  ]) {
    const i = at((s) => s.op.kind === 'sysctl' && s.op.key === key);
    assert.ok(created < i && i < hostUp, key);
  }
  const inner = at(
    (s) =>
      argv(s)[0] === 'nsenter' &&
      argv(s).includes('net.ipv6.conf.eth0.disable_ipv6=1') &&
      argv(s).includes('net.ipv6.conf.eth0.accept_ra=0'),
  );
  assert.ok(created < inner && inner < innerUp && inner < hostUp);
});

test("host ports: closed unless allowed, only from the container's own address; DNS only to its resolvers", () => {
  const elements = (p: AddNetworkInput, set: string) =>
    input(planAddNetwork(p).find((st) => argv(st)[0] === 'ipset')!)!
      .split('\n')
      .filter((l) => l.startsWith(`add ${set} `));
  const opts = (p: AddNetworkInput) => [...elements(p, 'conductor-hostport'), ...elements(p, 'conductor-dns')];
  assert.equal(opts(base), [], 'no opt-in, no DNS without --internet: the shared DROP applies');
  assert.equal(elements({ ...base, allowHost: [5432] }, 'conductor-hostport'), [
    'add conductor-hostport 10.177.0.2,tcp:5432 comment "conductor:abcd1234:web"',
  ]);
  const dns = elements(
    {
      ...base,
      internet: true,
      resolvContent: '# c\nnameserver 192.0.2.53\nnameserver 10.9.9.9\nnameserver ::1\nsearch x\n',
    },
    'conductor-dns',
  );
  assert.is(dns.length, 4);
  assert.ok(dns.every((l) => l.startsWith('add conductor-dns 10.177.0.2,') && l.includes(':53,')));
  assert.ok(dns.some((l) => l.includes('10.177.0.2,tcp:53,10.9.9.9 ')));
  assert.equal(nameserversOf('nameserver 1.2.3.4\nnameserver 1.2.3.4\nnameserver fe80::1\n'), ['1.2.3.4']);
  assert.equal(nameserversOf(null), []);
});

test("peer and internet elements carry the sender's own address and the veth it may leave by", () => {
  const text = input(planAddNetwork({ ...base, internet: true }).find((st) => argv(st)[0] === 'ipset')!)!;
  assert.ok(text.includes('add conductor-addr 10.177.0.2,cnd0badf00d '));
  assert.ok(text.includes('add conductor-out 10.177.0.2,eth0 '));
  assert.equal(
    input(planPeer('abcd1234', A, B)[0]!)!
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(1, 3).join(' ')),
    ['conductor-peer 10.177.0.2,cndbbbbbbbb', 'conductor-peer 10.177.0.3,cndaaaaaaaa'],
  );
});

test.run();
