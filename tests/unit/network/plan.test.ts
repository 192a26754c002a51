import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chainSetupText, commentTag, containerRules, forwardGuardText, forwardingUsers, hasForwardGuard, publishedHostPorts, restoreText,
  restoreTextToArgvs,
} from '../../../sdk/network/firewall.ts';
import {
  addHostsLine, allocateAddress, checkRouteOverlap, defaultRouteInterfaces, describePlan,
  hostInterfaceName, listeningTcpPorts, nameserversOf, otherRoutingTools, parseExposeSpec, parsePool, planAddNetwork, planPeer,
  planUnpeer, removeHostsLine, rootIdOf, routedAddresses, validateHostPorts, validatePorts, type AddNetworkInput, type LinkEntry,
  type PeerEnd, type RouteEntry,
} from '../../../sdk/network/plan.ts';
import { failure } from '../../helpers/expect-error.ts';


const ROOT = '/srv/conductor';
const RID = rootIdOf(ROOT);

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

// --- names ------------------------------------------------------------------------------------

test('interface names fit IFNAMSIZ and differ per name and per root', () => {
  const long = 'a'.repeat(63);
  const names = [
    hostInterfaceName(ROOT, long),
    hostInterfaceName(ROOT, long.slice(0, 62) + 'b'),
    hostInterfaceName('/other/root', long),
    hostInterfaceName(ROOT, 'web'),
  ];
  for (const n of names) {
    assert.ok(n.length <= 15, n);
    assert.match(n, /^cnd[0-9a-f]{8}$/);
  }
  assert.is(new Set(names).size, names.length);
  assert.is(hostInterfaceName(ROOT, 'web'), hostInterfaceName(ROOT, 'web'));
  assert.is.not(rootIdOf('/a'), rootIdOf('/b'));
  assert.match(RID, /^[0-9a-f]{8}$/);
});

// --- expose specs -----------------------------------------------------------------------------

test('parseExposeSpec: container port, then host port', () => {
  assert.equal(parseExposeSpec('8080-3000'), { container: 8080, host: 3000 });
  assert.equal(parseExposeSpec('1-65535'), { container: 1, host: 65535 });
});

test('parseExposeSpec rejects malformed specs', () => {
  for (const bad of ['80', 'abc-def', '0-8080', '80-70000', '80-8080-9090', '', '-80', '80-', '8080 -3000', '1e3-80', '+80-90', '123456-80']) {
    const msg = failure(() => parseExposeSpec(bad), 'INVALID_ARGUMENT');
    assert.ok(msg.includes(JSON.stringify(bad)), msg);
  }
});

test('validatePorts: range-checks data and refuses a host port twice', () => {
  assert.equal(validatePorts([{ container: 80, host: 8080 }]), [{ container: 80, host: 8080 }]);
  failure(() => validatePorts([{ container: 80, host: 0 }]), 'INVALID_ARGUMENT');
  failure(() => validatePorts([{ container: 80.5, host: 81 }]), 'INVALID_ARGUMENT');
  failure(() => validatePorts([{ container: 80, host: 9000 }, { container: 81, host: 9000 }]), 'INVALID_ARGUMENT');
});

test('listeningTcpPorts reads LISTEN sockets of /proc/net/tcp and tcp6', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 0200000A:1F90 0100000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
  ].join('\n');
  const tcp6 = '   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 3 1';
  assert.equal([...listeningTcpPorts(`${tcp}\n${tcp6}`)].sort(), [3306, 8081]);
});

// --- addresses --------------------------------------------------------------------------------

test('allocateAddress skips network, gateway and used addresses, then exhausts', () => {
  const pool = parsePool('10.177.0.0/16');
  assert.is(pool.gateway, '10.177.0.1');
  assert.is(allocateAddress(pool, []), '10.177.0.2');
  assert.is(allocateAddress(pool, ['10.177.0.2', '10.177.0.4']), '10.177.0.3');
  const small = parsePool('10.9.9.0/29'); // .0 network, .1 gateway, .7 broadcast
  const all = ['10.9.9.2', '10.9.9.3', '10.9.9.4', '10.9.9.5'];
  assert.is(allocateAddress(small, all), '10.9.9.6');
  const msg = failure(() => allocateAddress(small, [...all, '10.9.9.6']), 'POOL_EXHAUSTED');
  assert.ok(msg.includes('10.9.9.0/29'));
  assert.is(parsePool('10.9.9.77/24').cidr, '10.9.9.0/24');
  for (const bad of ['10.0.0.0/31', '10.0.0.0/7', 'nope', '10.0.0.256/16', '10.0.0.0/33']) failure(() => parsePool(bad), 'INVALID_ARGUMENT');
});

const ROUTES: RouteEntry[] = [
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
  { dst: '192.0.2.0/24', dev: 'eth0' },
  { dst: '10.177.0.5', dev: 'cnd12345678' }, // a conductor container route: in use, not an overlap
];

test('route overlap: host routes overlapping the pool are refused, own /32s are not', () => {
  const pool = parsePool('10.177.0.0/16');
  checkRouteOverlap(pool, ROUTES);
  const msg = failure(() => checkRouteOverlap(pool, [...ROUTES, { dst: '10.0.0.0/8', dev: 'wg0' }]), 'SUBNET_OVERLAP');
  assert.ok(msg.includes('10.0.0.0/8') && msg.includes('wg0'), msg);
  failure(() => checkRouteOverlap(pool, [{ dst: '10.177.200.0/24', dev: 'br0' }]), 'SUBNET_OVERLAP');
  failure(() => checkRouteOverlap(pool, [{ dst: '10.177.3.4', dev: 'eth1' }]), 'SUBNET_OVERLAP');
  checkRouteOverlap(pool, [{ dst: '10.176.0.0/16', dev: 'br0' }, { dst: '10.178.0.0/15', dev: 'br1' }]);
  assert.equal(routedAddresses(pool, ROUTES), ['10.177.0.5']);
});

test('default route interfaces, multipath included, never a conductor veth', () => {
  assert.equal(defaultRouteInterfaces(ROUTES), ['eth0']);
  assert.equal(defaultRouteInterfaces([{ dst: 'default', nexthops: [{ dev: 'wlan0' }, { dev: 'eth1' }] }]), ['eth1', 'wlan0']);
  assert.equal(defaultRouteInterfaces([{ dst: '10.0.0.0/8', dev: 'eth0' }]), []);
});

test('hosts lines: appended once, removed exactly', () => {
  const h0 = '127.0.0.1 localhost\n10.177.0.2 web';
  const h1 = addHostsLine(h0, '10.177.0.3', 'db');
  assert.is(h1, '127.0.0.1 localhost\n10.177.0.2 web\n10.177.0.3 db\n');
  assert.is(addHostsLine(h1, '10.177.0.3', 'db'), h1);
  assert.is(removeHostsLine(h1, '10.177.0.3', 'db'), '127.0.0.1 localhost\n10.177.0.2 web\n');
  assert.is(removeHostsLine(h1, '10.177.0.3', 'd'), h1);
});

// --- plans ------------------------------------------------------------------------------------

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
    "iptables-restore -w --noflush <<'EOF'",
    '*filter',
    '-I CONDUCTOR-FORWARD 1 -o cnd0badf00d -m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY -m comment --comment conductor:abcd1234:web -j ACCEPT',
    '-I CONDUCTOR-FORWARD 1 -i cnd0badf00d -m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY -m comment --comment conductor:abcd1234:web -j ACCEPT',
    '-A CONDUCTOR-FORWARD -i cnd0badf00d -m comment --comment conductor:abcd1234:web -j DROP',
    '-A CONDUCTOR-FORWARD -o cnd0badf00d -m comment --comment conductor:abcd1234:web -j DROP',
    'COMMIT',
    'EOF',
  ]);
});

test('addnetwork plan with internet and two published ports (golden)', () => {
  const steps = planAddNetwork({ ...base, internet: true, ports: [{ container: 8080, host: 3000 }, { container: 22, host: 2222 }] }).slice(5);
  assert.equal(steps.map((s) => s.argv.slice(0, 2).join(' ')), ['ip -b', 'nsenter --net=/proc/4242/ns/net', '@sysctl net.ipv4.conf.cnd0badf00d.forwarding',
    '@sysctl net.ipv4.conf.cnd0badf00d.route_localnet', '@ip-forward hold', 'iptables-restore -w', '@ip-forward on', '@write /r/.containers/web/resolv.conf']);
  assert.ok(steps[1]!.input!.includes('route add default via 10.177.0.1 dev eth0\n'));
  assert.equal(steps[3]!.argv, ['@sysctl', 'net.ipv4.conf.cnd0badf00d.route_localnet', '1']);
  const T = '-m comment --comment conductor:abcd1234:web';
  assert.is(steps[5]!.input, [
    '*nat',
    `-A CONDUCTOR-PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 3000 ${T} -j DNAT --to-destination 10.177.0.2:8080`,
    `-A CONDUCTOR-OUTPUT -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 3000 ${T} -j DNAT --to-destination 10.177.0.2:8080`,
    `-A CONDUCTOR-PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 2222 ${T} -j DNAT --to-destination 10.177.0.2:22`,
    `-A CONDUCTOR-OUTPUT -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 2222 ${T} -j DNAT --to-destination 10.177.0.2:22`,
    `-A CONDUCTOR-POSTROUTING -s 127.0.0.0/8 -o cnd0badf00d ${T} -j SNAT --to-source 10.177.0.1`,
    `-A CONDUCTOR-POSTROUTING -s 10.177.0.2/32 -o eth0 ${T} -j MASQUERADE`,
    'COMMIT',
    '*filter',
    `-I CONDUCTOR-FORWARD 1 -o cnd0badf00d -m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY ${T} -j ACCEPT`,
    `-I CONDUCTOR-FORWARD 1 -i cnd0badf00d -m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY ${T} -j ACCEPT`,
    `-I CONDUCTOR-FORWARD 1 -o cnd0badf00d -d 10.177.0.2/32 -p tcp -m tcp --dport 8080 -m conntrack --ctstate DNAT ${T} -j ACCEPT`,
    `-I CONDUCTOR-FORWARD 1 -o cnd0badf00d -d 10.177.0.2/32 -p tcp -m tcp --dport 22 -m conntrack --ctstate DNAT ${T} -j ACCEPT`,
    `-I CONDUCTOR-FORWARD 1 -i cnd0badf00d -s 10.177.0.2/32 -o eth0 ${T} -j ACCEPT`,
    `-A CONDUCTOR-FORWARD -i cnd0badf00d ${T} -j DROP`,
    `-A CONDUCTOR-FORWARD -o cnd0badf00d ${T} -j DROP`,
    `-I CONDUCTOR-INPUT 1 -i cnd0badf00d -s 10.177.0.2/32 -d 192.0.2.53/32 -p udp -m udp --dport 53 ${T} -j ACCEPT`,
    `-I CONDUCTOR-INPUT 1 -i cnd0badf00d -s 10.177.0.2/32 -d 192.0.2.53/32 -p tcp -m tcp --dport 53 ${T} -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n'));
  // The undo deletes exactly the same specs.
  assert.is(steps[5]!.undo!.input, steps[5]!.input!.replace(/^-[AI] (\S+)( 1)? /gm, '-D $1 '));
  // Undone in reverse: the release runs after the rules are deleted; switching on comes after adding them.
  assert.equal(steps[4]!.undo!.argv, ['@ip-forward', 'release', 'conductor:abcd1234:web']);
  assert.is(steps[6]!.undo, undefined);
  assert.equal(steps[7]!.argv, ['@write', base.resolvPath]);
  assert.is(steps[7]!.input, base.resolvContent!);
  assert.equal(steps[7]!.undo, { argv: ['@write', base.resolvPath], input: '', about: 'restore resolv.conf of "web"' });
});

test('published ports without internet rewrite every published connection to the gateway', () => {
  const text = planAddNetwork({ ...base, ports: [{ container: 80, host: 8080 }] }).find((s) => s.argv[0] === 'iptables-restore')!.input!;
  assert.ok(text.includes('-A CONDUCTOR-POSTROUTING -o cnd0badf00d -m conntrack --ctstate DNAT -m comment --comment conductor:abcd1234:web -j SNAT --to-source 10.177.0.1'));
  assert.not.ok(text.includes('MASQUERADE'));
});

test('every host-side add step has an undo, except settings of the veth itself, which die with it', () => {
  const steps = planAddNetwork({ ...base, internet: true, ports: [{ container: 8080, host: 3000 }] });
  const ofVeth = (s: (typeof steps)[number]) => s.argv[0] === 'nsenter'
    || (s.argv[0] === '@sysctl' && /^net\.ipv[46]\.conf\.cnd0badf00d\.(disable_ipv6|accept_ra|rp_filter)$/.test(s.argv[1]!))
    || (s.argv[0] === 'ip' && s.argv[1] === '-b' && !s.input!.includes('link add'))
    || (s.argv[0] === '@ip-forward' && s.argv[1] === 'on'); // released by the undo of its 'hold' step
  for (const s of steps) {
    if (ofVeth(s)) assert.is(s.undo, undefined, s.about);
    else assert.ok(s.undo && s.undo.argv.length > 0, s.about);
    assert.ok(s.about.length > 0);
  }
  // The container step's change dies with the veth: deleting the host end is recorded first.
  assert.equal(steps[0]!.undo!.argv, ['ip', 'link', 'del', 'cnd0badf00d']);
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
    "iptables-restore -w --noflush <<'EOF'",
    '*filter',
    '-I CONDUCTOR-FORWARD 1 -i cndaaaaaaaa -s 10.177.0.2/32 -o cndbbbbbbbb -m comment --comment conductor:abcd1234:api -j ACCEPT',
    '-I CONDUCTOR-FORWARD 1 -i cndbbbbbbbb -s 10.177.0.3/32 -o cndaaaaaaaa -m comment --comment conductor:abcd1234:db -j ACCEPT',
    'COMMIT',
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
  assert.equal(steps.map((s) => s.argv), [
    ['@hosts', 'remove', '/r/db/hosts', '10.177.0.2', 'api'],
    ['@hosts', 'remove', '/r/api/hosts', '10.177.0.3', 'db'],
    ['iptables-restore', '-w', '--noflush'],
  ]);
  assert.is(steps[2]!.input, [
    '*filter',
    '-D CONDUCTOR-FORWARD -i cndaaaaaaaa -s 10.177.0.2/32 -o cndbbbbbbbb -m comment --comment conductor:abcd1234:api -j ACCEPT',
    '-D CONDUCTOR-FORWARD -i cndbbbbbbbb -s 10.177.0.3/32 -o cndaaaaaaaa -m comment --comment conductor:abcd1234:db -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n'));
  assert.ok(describePlan(steps)[1]!.includes('in place'));
});

// --- firewall text ----------------------------------------------------------------------------

test('restore text splits into single iptables commands for tolerant undo', () => {
  const rules = containerRules({ tag: commentTag('r', 'c'), hostInterface: 'cnd00000000', ip: '10.1.0.2', gateway: '10.1.0.1', ports: [], internet: false, outInterfaces: [] });
  const argvs = restoreTextToArgvs(restoreText(rules, 'delete'));
  assert.is(argvs.length, rules.length);
  assert.equal(argvs[0], ['iptables', '-w', '-t', 'filter', '-D', 'CONDUCTOR-FORWARD', '-o', 'cnd00000000', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '--ctdir', 'REPLY', '-m', 'comment', '--comment', 'conductor:r:c', '-j', 'ACCEPT']);
  assert.ok(rules.every((r) => r.table === 'filter'), 'no nat rules without ports or internet; the loopback guard is shared');
});

const SAVE_EMPTY = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n-A FORWARD -i docker0 -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n';
const SAVE_READY = [
  '*raw', ':PREROUTING ACCEPT [0:0]', ':CONDUCTOR-PREROUTING - [0:0]', '-A PREROUTING -j CONDUCTOR-PREROUTING',
  '-A CONDUCTOR-PREROUTING -s 127.0.0.0/8 -i cnd+ -m comment --comment conductor-loopback-guard -j DROP',
  '-A CONDUCTOR-PREROUTING -d 127.0.0.0/8 -i cnd+ -m comment --comment conductor-loopback-guard -j DROP', 'COMMIT',
  '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':CONDUCTOR-FORWARD - [0:0]', ':CONDUCTOR-INPUT - [0:0]',
  '-A INPUT -j CONDUCTOR-INPUT', '-A FORWARD -j CONDUCTOR-FORWARD',
  '-A CONDUCTOR-INPUT -i cnd+ -m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY -m comment --comment conductor-input-guard -j ACCEPT',
  '-A CONDUCTOR-INPUT -i cnd+ -m comment --comment conductor-input-guard -j DROP', 'COMMIT',
  '*nat', ':CONDUCTOR-OUTPUT - [0:0]', ':CONDUCTOR-POSTROUTING - [0:0]', ':CONDUCTOR-PREROUTING - [0:0]',
  '-A PREROUTING -j CONDUCTOR-PREROUTING', '-A OUTPUT -j CONDUCTOR-OUTPUT', '-A POSTROUTING -j CONDUCTOR-POSTROUTING',
  '-A CONDUCTOR-PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 3000 -m comment --comment "conductor:aa:web" -j DNAT --to-destination 10.177.0.2:8080',
  '-A CONDUCTOR-POSTROUTING -s 10.177.0.3/32 -o eth0 -m comment --comment "conductor:aa:db" -j MASQUERADE',
  '-A CONDUCTOR-POSTROUTING -s 127.0.0.0/8 -o cnd1 -m comment --comment "conductor:aa:web" -j SNAT --to-source 10.177.0.1',
  'COMMIT',
].join('\n');

test('chain setup: only what is missing, never redeclaring an existing chain', () => {
  assert.is(chainSetupText(SAVE_READY), null);
  assert.is(chainSetupText(SAVE_EMPTY), [
    '*raw', ':CONDUCTOR-PREROUTING - [0:0]', '-I PREROUTING 1 -j CONDUCTOR-PREROUTING',
    '-A CONDUCTOR-PREROUTING -i cnd+ -s 127.0.0.0/8 -m comment --comment conductor-loopback-guard -j DROP',
    '-A CONDUCTOR-PREROUTING -i cnd+ -d 127.0.0.0/8 -m comment --comment conductor-loopback-guard -j DROP', 'COMMIT',
    '*nat', ':CONDUCTOR-PREROUTING - [0:0]', '-I PREROUTING 1 -j CONDUCTOR-PREROUTING', ':CONDUCTOR-OUTPUT - [0:0]', '-I OUTPUT 1 -j CONDUCTOR-OUTPUT',
    ':CONDUCTOR-POSTROUTING - [0:0]', '-I POSTROUTING 1 -j CONDUCTOR-POSTROUTING', 'COMMIT',
    '*filter', ':CONDUCTOR-FORWARD - [0:0]', '-I FORWARD 1 -j CONDUCTOR-FORWARD', ':CONDUCTOR-INPUT - [0:0]', '-I INPUT 1 -j CONDUCTOR-INPUT',
    '-I CONDUCTOR-INPUT 1 -i cnd+ -m conntrack --ctstate RELATED,ESTABLISHED --ctdir REPLY -m comment --comment conductor-input-guard -j ACCEPT',
    '-A CONDUCTOR-INPUT -i cnd+ -m comment --comment conductor-input-guard -j DROP', 'COMMIT', '',
  ].join('\n'));
  // A chain that exists but lost its hook gets the hook only.
  const unhooked = SAVE_READY.replace('-A FORWARD -j CONDUCTOR-FORWARD\n', '');
  assert.is(chainSetupText(unhooked), '*filter\n-I FORWARD 1 -j CONDUCTOR-FORWARD\nCOMMIT\n');
  // A guard rule flushed away by someone else is put back.
  const unguarded = SAVE_READY.split('\n').filter((l) => !l.includes('-d 127.0.0.0/8')).join('\n');
  assert.is(chainSetupText(unguarded), '*raw\n-A CONDUCTOR-PREROUTING -i cnd+ -d 127.0.0.0/8 -m comment --comment conductor-loopback-guard -j DROP\nCOMMIT\n');
  // The input guard's DROP, lost alone, goes back at the end, after any container's ACCEPTs.
  const undropped = SAVE_READY.split('\n').filter((l) => !(l.includes('conductor-input-guard') && l.endsWith('DROP'))).join('\n');
  assert.is(chainSetupText(undropped), '*filter\n-A CONDUCTOR-INPUT -i cnd+ -m comment --comment conductor-input-guard -j DROP\nCOMMIT\n');
});

test('published ports and forwarding users are read from iptables-save', () => {
  assert.equal([...publishedHostPorts(SAVE_READY)], [3000]);
  assert.is(forwardingUsers(SAVE_READY, 'conductor:aa:web'), 1); // db's MASQUERADE
  assert.is(forwardingUsers(SAVE_READY, 'conductor:aa:db'), 1); // web's DNAT
  assert.is(forwardingUsers(SAVE_READY, 'conductor:bb:x'), 2);
  assert.is(forwardingUsers(SAVE_EMPTY, 'conductor:aa:web'), 0);
});

// --- host safety ------------------------------------------------------------------------------

test('IPv6 is off and rp_filter on, on both ends, before either end is up', () => {
  const steps = planAddNetwork(base);
  const at = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
  const hostUp = at((s) => s.argv[0] === 'ip' && (s.input ?? '').includes('link set cnd0badf00d up'));
  const innerUp = at((s) => s.argv[0] === 'nsenter' && (s.input ?? '').includes('link set eth0 up'));
  const created = at((s) => s.argv.includes('add') && s.argv.includes('veth'));
  for (const key of ['net.ipv6.conf.cnd0badf00d.disable_ipv6', 'net.ipv6.conf.cnd0badf00d.accept_ra', 'net.ipv4.conf.cnd0badf00d.rp_filter']) {
    const i = at((s) => s.argv[0] === '@sysctl' && s.argv[1] === key);
    assert.ok(created < i && i < hostUp, key);
  }
  const inner = at((s) => s.argv[0] === 'nsenter' && s.argv.includes('net.ipv6.conf.eth0.disable_ipv6=1') && s.argv.includes('net.ipv6.conf.eth0.accept_ra=0'));
  assert.ok(created < inner && inner < innerUp && inner < hostUp);
});

test('host ports: closed unless allowed, only from the container\'s own address; DNS only to its resolvers', () => {
  const input = (p: AddNetworkInput) => planAddNetwork(p).find((s) => s.argv[0] === 'iptables-restore')!.input!
    .split('\n').filter((l) => l.includes('CONDUCTOR-INPUT'));
  assert.equal(input(base), [], 'no opt-in, no DNS without --internet: the shared DROP applies');
  assert.equal(input({ ...base, allowHost: [5432] }), [
    '-I CONDUCTOR-INPUT 1 -i cnd0badf00d -s 10.177.0.2/32 -p tcp -m tcp --dport 5432 -m comment --comment conductor:abcd1234:web -j ACCEPT',
  ]);
  const dns = input({ ...base, internet: true, resolvContent: '# c\nnameserver 192.0.2.53\nnameserver 10.9.9.9\nnameserver ::1\nsearch x\n' });
  assert.is(dns.length, 4);
  assert.ok(dns.every((l) => l.includes('-s 10.177.0.2/32') && l.includes('--dport 53')));
  assert.ok(dns.some((l) => l.includes('-d 10.9.9.9/32 -p tcp')));
  assert.equal(nameserversOf('nameserver 1.2.3.4\nnameserver 1.2.3.4\nnameserver fe80::1\n'), ['1.2.3.4']);
  assert.equal(nameserversOf(null), []);
});

test('validateHostPorts: numbers or digit strings 1-65535, duplicates collapse, one-line error', () => {
  assert.equal(validateHostPorts(['5432', 6379, 5432]), [5432, 6379]);
  for (const bad of ['0', '65536', 'http', '80/tcp', '', '1e3', -1, 80.5]) {
    const msg = failure(() => validateHostPorts([bad]), 'INVALID_ARGUMENT');
    assert.ok(msg.includes(JSON.stringify(String(bad))), msg);
  }
});

test('peer and internet ACCEPTs carry the sender\'s own address', () => {
  const fwd = planAddNetwork({ ...base, internet: true }).find((s) => s.argv[0] === 'iptables-restore')!.input!.split('\n');
  const accepts = fwd.filter((l) => l.includes('-i cnd0badf00d') && l.endsWith('-j ACCEPT') && !l.includes('--ctdir REPLY'));
  assert.ok(accepts.length > 0 && accepts.every((l) => l.includes('-s 10.177.0.2/32')), accepts.join('\n'));
  for (const l of planPeer('abcd1234', A, B)[0]!.input!.split('\n').filter((x) => x.includes('ACCEPT'))) {
    assert.match(l, /-i cndaaaaaaaa -s 10\.177\.0\.2\/32 -o|-i cndbbbbbbbb -s 10\.177\.0\.3\/32 -o/);
  }
});

test('forward guard text and detection', () => {
  assert.is(forwardGuardText('add'), '*filter\n-A CONDUCTOR-FORWARD ! -i cnd+ ! -o cnd+ -m comment --comment conductor-forward-guard -j DROP\nCOMMIT\n');
  assert.is(forwardGuardText('delete'), forwardGuardText('add').replace('-A ', '-D '));
  assert.not.ok(hasForwardGuard(SAVE_READY));
  assert.ok(hasForwardGuard(SAVE_READY.replace('-A FORWARD -j CONDUCTOR-FORWARD', '-A FORWARD -j CONDUCTOR-FORWARD\n-A CONDUCTOR-FORWARD ! -i cnd+ ! -o cnd+ -m comment --comment conductor-forward-guard -j DROP')));
});

test('other routing tools: bridges, foreign veths and tunnels, other tools\' chains; never conductor\'s own', () => {
  const links: LinkEntry[] = [
    { ifname: 'lo' }, { ifname: 'eth0', linkinfo: {} }, { ifname: 'ifb0', linkinfo: { info_kind: 'ifb' } },
    { ifname: 'cnd0badf00d', linkinfo: { info_kind: 'veth' } },
  ];
  assert.equal(otherRoutingTools(links, SAVE_READY), []);
  assert.equal(otherRoutingTools([...links, { ifname: 'docker0', linkinfo: { info_kind: 'bridge' } }, { ifname: 'veth12ab', linkinfo: { info_kind: 'veth' } }, { ifname: 'wg0', linkinfo: { info_kind: 'wireguard' } }], ''),
    ['bridge "docker0"', 'veth "veth12ab"', 'wireguard "wg0"']);
  assert.equal(otherRoutingTools([], SAVE_EMPTY + '*nat\n:LIBVIRT_PRT - [0:0]\nCOMMIT\n'), ['iptables chain "LIBVIRT_PRT" (nat)']);
});

test.run();
