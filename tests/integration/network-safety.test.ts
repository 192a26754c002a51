/**
 * The network attacks of a hostile container (root inside, NET_RAW where it says so) against the
 * host, performed for real with the runtime: reaching host services, planting IPv6 routes with a
 * router advertisement, leaving with a forged source, using the host as a router between its
 * other networks, and a build RUN step reaching the host's network.
 *
 * "Other hosts" are namespaces this file creates (tests/helpers/outside-host.ts). One of them is
 * given a high-metric default route for the spoofing test, so conductor treats its link as a way
 * to "the internet" (the host's own traffic keeps its real default route); it goes with the link.
 * Only namespaces created here, the host's own addresses and deb.debian.org (apt) are contacted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { captureLog } from '../helpers/capture-log.ts';
import { createOutsideHost, type OutsideHost } from '../helpers/outside-host.ts';
import { killOwned, makeFixture, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { hostMust as must } from '../helpers/host-cmd.ts';
import { buildImage, exec, run, resolvePaths } from '../../sdk/index.ts';
import { loadRecord, rootIdOf, internalPaths } from '../helpers/internals.ts';
import { statePaths } from '../helpers/state-paths.ts';

const f = await makeFixture('nsafe');
const root = f.root;
const RAND = randomBytes(3).toString('hex');
const owned: ChildProcess[] = [];
const servers: Array<Server | Socket> = [];
const outs: OutsideHost[] = [];
const names: string[] = [];

const sysctl = (key: string) => readFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8').trim();
const MARKER = '/run/conductor/ip_forward.enabled';
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const conductorOwnsForwarding = () => existsSync(MARKER) && readFileSync(MARKER, 'utf8').trim() === bootId();

// Probes run inside the containers with the image's perl (perl-base: Socket, IO::Socket::INET).
const TCP =
  `use IO::Socket::INET; my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], ` +
  `PeerPort => $ARGV[1], Proto => 'tcp', Timeout => 2); print $s ? "open\\n" : "closed\\n";`;
const UDP = `use IO::Socket::INET; use IO::Select; \
my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1], Proto => 'udp') or die "udp: $!";
$s->send("ping"); my $r; $s->recv($r, 100) if IO::Select->new($s)->can_read(2); print defined $r && \
$r eq 'pong' ? "answered\\n" : "silent\\n";`;
// A UDP datagram with a source of our choosing: IPPROTO_RAW implies IP_HDRINCL (the kernel fills
// in the length, id and header checksum; a zero UDP checksum means "none" in IPv4).
const SPOOF = `use Socket; my ($src, $dst, $port, $data) = @ARGV;
socket(my $s, PF_INET, SOCK_RAW, 255) or die "raw socket: $!";
my $udp = pack('nnnn', 40000, $port, 8 + length $data, 0) . $data;
my $ip = pack('CCnnnCCna4a4', 0x45, 0, 20 + length $udp, 0, 0, 64, 17, 0, inet_aton($src), inet_aton($dst));
send($s, $ip . $udp, 0, sockaddr_in(0, inet_aton($dst))) or die "send: $!"; print "sent\\n";`;
// An ICMPv6 router advertisement (default router + an autoconf prefix) as a raw Ethernet frame
// from a packet socket: it needs no IPv6 on the container's own eth0, only NET_RAW.
const RA = `use Socket; my $prefix = pack('H32', $ARGV[0]);
sub slurp { open my $f, '<', $_[0] or die "$_[0]: $!"; my $v = <$f>; chomp $v; $v }
my $ifindex = slurp('/sys/class/net/eth0/ifindex') + 0;
my $mac = pack('H12', join '', split /:/, slurp('/sys/class/net/eth0/address'));
my $src = pack('H32', 'fe800000000000000200' . '00fffe000001');
my $dst = pack('H32', 'ff020000000000000000000000000001');
my $icmp = pack('CCnCCnNN', 134, 0, 0, 64, 0, 1800, 0, 0) . pack('CCCCNNN', 3, 4, 64, 0xc0, 86400, 14400, 0) . $prefix;
my $sum = 0; my $d = $src . $dst . pack('NxxxC', length $icmp, 58) . $icmp; $d .= "\\0" if length($d) % 2;
$sum += $_ for unpack('n*', $d); $sum = ($sum >> 16) + ($sum & 0xffff) while $sum >> 16;
substr($icmp, 2, 2) = pack('n', ~$sum & 0xffff);
my $frame = pack('H12', '333300000001') . $mac . pack('n', 0x86dd) . pack('NnCC', 0x60000000, length $icmp, 58, 255) . \
$src . $dst . $icmp;
socket(my $s, 17, SOCK_RAW, 0) or die "packet socket: $!";
send($s, $frame, 0, pack('SnISCCa8', 17, 0x86dd, $ifindex, 0, 0, 6, pack('H12', '333300000001'))) or die "send: $!"; \
print "sent\\n";`;

async function perl(name: string, script: string, ...args: string[]): Promise<string> {
  const r = await exec(name, ['perl', '-e', script, '--', ...args], { root });
  assert.is(r.exitCode, 0, `perl in ${name}: ${r.stderr}`);
  return r.stdout.trim();
}

async function container(
  prefix: string,
  network: { internet?: boolean; allowHost?: number[] },
  capAdd: string[] = [],
): Promise<{ name: string; ip: string; hostIf: string; pid: number }> {
  const name = uniqueName(prefix);
  names.push(name);
  await run(f.image, name, { root, detach: true, command: ['sleep', 'infinity'], network, security: { capAdd } });
  const rec = loadRecord(internalPaths(root), name)!;
  return { name, ip: rec.network!.ip, hostIf: rec.network!.hostInterface, pid: rec.init!.pid };
}

function outside(): OutsideHost {
  const o = createOutsideHost();
  outs.push(o);
  return o;
}

/** A UDP "pong" responder and a TCP one on `addr:port` on the host (a resolver stand-in). */
async function responders(addr: string, port: number): Promise<void> {
  const udp = createSocket('udp4');
  udp.on('message', (_m, r) => udp.send('pong', r.port, r.address));
  await new Promise<void>((res, rej) => udp.once('error', rej).bind(port, addr, () => res()));
  const tcp = createServer((c) => c.on('error', () => {}).end('pong'));
  await new Promise<void>((res, rej) => tcp.once('error', rej).listen(port, addr, () => res()));
  servers.push(udp, tcp);
}

/** python3 -m http.server on 0.0.0.0, ephemeral port (as the review reproduced it). */
async function hostHttpServer(): Promise<number> {
  const dir = mkdtempSync('/tmp/cnd-nsafe-www-');
  writeFileSync(path.join(dir, 'index.html'), 'host-service\n');
  const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '0.0.0.0', '--directory', dir], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  owned.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  const port = await until('http.server', () => Number(/port (\d+)/.exec(out)?.[1] ?? 0), 10_000);
  child.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return port;
}

const hostAddr = JSON.parse(must(['ip', '-j', 'route', 'get', '198.51.100.1']))[0].prefsrc as string;
const sink = outside();
// The sink's link carries a second default route (never used by the host: higher metric), so
// --internet containers may send to it, and their forged packets would reach it.
must(['ip', 'route', 'add', 'default', 'via', sink.addr, 'dev', sink.hostIf, 'metric', '31337']);
await responders(sink.hostAddr, 53);
await responders(sink.hostAddr, 5353);
const HTTP_PORT = await hostHttpServer();
const ownedBefore = conductorOwnsForwarding() || sysctl('net.ipv4.ip_forward') === '0';

// A: hostile (NET_RAW), --internet, its resolv.conf names a host address (the sink's link end).
process.env.CONDUCTOR_DNS = sink.hostAddr;
const A = await container('nsa', { internet: true }, ['NET_RAW']);
delete process.env.CONDUCTOR_DNS;
const B = await container('nsb', { internet: true, allowHost: [HTTP_PORT] });

test.after(async () => {
  try {
    // Our namespaces first: as other veths they would keep conductor from switching ip_forward off.
    for (const o of outs) o.cleanup();
    await stopQuiet(root, ...names);
  } finally {
    for (const c of owned) killOwned(c);
    for (const s of servers) s.close();
    await f.cleanup();
  }
});

const hostServicesClosedTo =
  'host services: closed to containers via the gateway and the host address, ' +
  'open with allowHost; DNS to a host resolver works';
test(hostServicesClosedTo, async () => {
  assert.is(
    must(['curl', '-sS', '-m', '3', `http://127.0.0.1:${HTTP_PORT}/`]),
    'host-service\n',
    'the host serves on 0.0.0.0',
  );
  const gw = loadRecord(internalPaths(root), A.name)!.network!.gateway;
  assert.is(await perl(A.name, TCP, gw, String(HTTP_PORT)), 'closed', 'container -> gateway:port');
  assert.is(
    await perl(A.name, TCP, hostAddr, String(HTTP_PORT)),
    'closed',
    'container -> host address:port (--internet)',
  );
  assert.is(await perl(A.name, TCP, sink.hostAddr, String(HTTP_PORT)), 'closed', 'container -> another host address');
  assert.is(await perl(B.name, TCP, gw, String(HTTP_PORT)), 'open', 'allowHost opens it via the gateway');
  assert.is(await perl(B.name, TCP, hostAddr, String(HTTP_PORT)), 'open', 'and via the host address');
  assert.match(
    readFileSync(path.join(statePaths(root).container(A.name), 'resolv.conf'), 'utf8'),
    new RegExp(`^nameserver ${sink.hostAddr.replace(/\./g, '\\.')}$`, 'm'),
  );
  assert.is(
    await perl(A.name, UDP, sink.hostAddr, '53'),
    'answered',
    'DNS over UDP to the resolver its resolv.conf names',
  );
  assert.is(await perl(A.name, TCP, sink.hostAddr, '53'), 'open', 'DNS over TCP');
  assert.is(await perl(A.name, UDP, sink.hostAddr, '5353'), 'silent', 'only port 53 of the resolver');
  assert.is(await perl(B.name, UDP, sink.hostAddr, '53'), 'silent', "not another container's resolver");
});

test('IPv6: a router advertisement from inside plants nothing on the host; IPv6 is off on both veth ends', async () => {
  const word = parseInt(RAND.slice(0, 4), 16).toString(16);
  const prefixHex = `20010db8${word.padStart(4, '0')}0000` + '0'.repeat(16);
  assert.is(await perl(A.name, RA, prefixHex), 'sent');
  // A round trip on the same veth after the RA: the host has processed the RA by the time it answers.
  assert.is(await perl(A.name, UDP, sink.hostAddr, '53'), 'answered');
  const routes = must(['ip', '-6', 'route', 'show', 'table', 'all']);
  const addrs = must(['ip', '-6', 'addr', 'show']);
  assert.not.ok(routes.includes(A.hostIf), `IPv6 route on ${A.hostIf}:\n${routes}`);
  assert.not.ok(new RegExp(`2001:db8:${word}:`).test(routes + addrs), 'the advertised prefix');
  assert.not.match(must(['ip', '-6', 'addr', 'show', 'dev', A.hostIf]), /inet6/);
  for (const key of ['disable_ipv6', 'accept_ra']) {
    assert.is(sysctl(`net.ipv6.conf.${A.hostIf}.${key}`), key === 'disable_ipv6' ? '1' : '0', `host end ${key}`);
    assert.is(
      must(['nsenter', `--net=/proc/${A.pid}/ns/net`, 'cat', `/proc/sys/net/ipv6/conf/eth0/${key}`]).trim(),
      key === 'disable_ipv6' ? '1' : '0',
      `container end ${key}`,
    );
  }
  assert.is(sysctl(`net.ipv4.conf.${A.hostIf}.rp_filter`), '1');
});

test("spoofed sources: a forged or another container's source address never leaves; the real one does", async () => {
  const got: string[] = [];
  const js =
    "const s=require('dgram').createSocket('udp4');" +
    "s.on('message',(m,r)=>process.stdout.write(r.address+' '+m+'\\n'));" +
    "s.bind(9999,'0.0.0.0',()=>process.stdout.write('ready\\n'))";
  const rx = spawn('ip', ['netns', 'exec', sink.ns, process.execPath, '-e', js], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  owned.push(rx);
  rx.stdout!.on('data', (c: Buffer) => got.push(...c.toString().split('\n').filter(Boolean)));
  await until('sink receiver', () => got.includes('ready'));
  assert.is(await perl(A.name, SPOOF, '198.51.100.77', sink.addr, '9999', 'forged'), 'sent');
  assert.is(await perl(A.name, SPOOF, B.ip, sink.addr, '9999', 'other-container'), 'sent');
  // Same path, sent last: once it is in, the two before it would have been too.
  assert.is(await perl(A.name, SPOOF, A.ip, sink.addr, '9999', 'legit'), 'sent');
  await until('the legitimate packet', () => got.some((l) => l.endsWith(' legit')));
  assert.ok(got.includes(`${sink.hostAddr} legit`), `masqueraded to the host's address: ${got.join(', ')}`);
  assert.not.ok(
    got.some((l) => l.endsWith('forged') || l.endsWith('other-container')),
    got.join(', '),
  );
  killOwned(rx);
});

test('ip_forward: the host does not route between its other networks because of conductor', async () => {
  assert.is(sysctl('net.ipv4.ip_forward'), '1', 'A and B have --internet');
  const save = () => must(['iptables-save', '-t', 'filter']);
  if (!ownedBefore) {
    // The host (or another tool) had forwarding on: its routing is its own business.
    assert.not.ok(save().includes('conductor-forward-guard'));
    return;
  }
  const x = outside();
  const y = outside();
  const js = `require('http').createServer((q,s)=>s.end('y')).listen(8080,'0.0.0.0')`;
  owned.push(spawn('ip', ['netns', 'exec', y.ns, process.execPath, '-e', js], { stdio: 'ignore' }));
  await until('server in y', () => y.exec(['curl', '-s', '-m', '2', 'http://127.0.0.1:8080/']).out === 'y');
  const policy = /^:FORWARD (\w+)/m.exec(save())![1]!;
  if (policy !== 'ACCEPT') must(['iptables', '-w', '-P', 'FORWARD', 'ACCEPT']);
  try {
    assert.is(x.curl(`http://${y.addr}:8080/`, { maxTimeSeconds: 2 }).body, null, 'x -> y through the host');
    assert.ok(conductorOwnsForwarding());
    assert.ok(save().includes('conductor-forward-guard'));
    // Control: let exactly x <-> y past the guard and the same request goes through.
    const pass = (i: string, o: string) => [
      'CONDUCTOR-FORWARD',
      '-i',
      i,
      '-o',
      o,
      '-m',
      'comment',
      '--comment',
      `nsafe-${RAND}`,
      '-j',
      'ACCEPT',
    ];
    must(['iptables', '-w', '-I', ...pass(x.hostIf, y.hostIf).slice(0, 1), '1', ...pass(x.hostIf, y.hostIf).slice(1)]);
    must(['iptables', '-w', '-I', ...pass(y.hostIf, x.hostIf).slice(0, 1), '1', ...pass(y.hostIf, x.hostIf).slice(1)]);
    try {
      assert.is(
        x.curl(`http://${y.addr}:8080/`, { maxTimeSeconds: 3 }).body,
        'y',
        'control: the guard is what stops it',
      );
    } finally {
      must(['iptables', '-w', '-D', ...pass(x.hostIf, y.hostIf)]);
      must(['iptables', '-w', '-D', ...pass(y.hostIf, x.hostIf)]);
    }
  } finally {
    if (policy !== 'ACCEPT') must(['iptables', '-w', '-P', 'FORWARD', policy]);
  }
});

const buildRUNStepsOwn =
  'build RUN steps: own network namespace (no host MACs, ' +
  'abstract sockets or 127.0.0.1), apt works; --network host opts out';
test(buildRUNStepsOwn, async () => {
  const hostMacs = readdirSync('/sys/class/net')
    .map((d) => readFileSync(`/sys/class/net/${d}/address`, 'utf8').trim())
    .filter((m) => m !== '00:00:00:00:00:00');
  assert.ok(hostMacs.length > 0);
  const abstract = `cnd-nsafe-${RAND}`;
  const unix = createServer((c) => c.on('error', () => {}).end('x'));
  await new Promise<void>((r) => unix.listen(`\0${abstract}`, () => r()));
  const lo = createServer((c) => c.on('error', () => {}).end('x'));
  await new Promise<void>((r) => lo.listen(0, '127.0.0.1', () => r()));
  servers.push(unix, lo);
  const loPort = (lo.address() as { port: number }).port;
  const ctx = mkdtempSync('/tmp/cnd-nsafe-ctx-');
  try {
    writeFileSync(
      path.join(ctx, 'probe.pl'),
      `use Socket; use IO::Socket::INET;
opendir my $d, '/sys/class/net'; my @macs;
for my $i (grep { !/^\\./ } readdir $d) { open my $f, '<', "/sys/class/net/$i/address" or next; my $m = <$f>; \
chomp $m; push @macs, $m }
print "MACS @macs\\n";
# An abstract address is its exact bytes, and Node (the listener here) pads its name with NULs to 108.
socket(my $u, PF_UNIX, SOCK_STREAM, 0) or die; \
print 'ABSTRACT ', (connect($u, pack('S a108', AF_UNIX, "\\0$ARGV[0]")) ? 'open' : 'closed'), "\\n";
print 'LOOPBACK ', \
(IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ARGV[1], Timeout => 2) ? 'open' : 'closed'), "\\n";
`,
    );
    const probe = `RUN perl /probe.pl ${abstract} ${loPort}`;
    writeFileSync(
      path.join(ctx, 'nat.Conductorfile'),
      `FROM debian:bookworm\nCOPY probe.pl /probe.pl\n${probe}\nRUN apt-get update -q && echo APT-OK\n`,
    );
    writeFileSync(path.join(ctx, 'host.Conductorfile'), `FROM debian:bookworm\nCOPY probe.pl /probe.pl\n${probe}\n`);
    const results = (text: string) => ({
      macs: /^MACS (.*)$/m.exec(text)?.[1]?.split(' ').filter(Boolean) ?? null,
      abstract: /^ABSTRACT (\w+)$/m.exec(text)?.[1],
      loopback: /^LOOPBACK (\w+)$/m.exec(text)?.[1],
    });
    const nat = captureLog();
    await buildImage(uniqueName('nsnat'), {
      file: path.join(ctx, 'nat.Conductorfile'),
      context: ctx,
      root,
      noCache: true,
      log: nat.log,
    });
    const r = results(nat.text());
    assert.ok(r.macs && r.macs.length > 0, nat.text());
    assert.equal(
      r.macs!.filter((m) => hostMacs.includes(m)),
      [],
      `host MACs seen by RUN: ${r.macs}`,
    );
    assert.is(r.abstract, 'closed', 'host abstract unix socket');
    assert.is(r.loopback, 'closed', 'host 127.0.0.1 listener');
    assert.match(nat.text(), /^APT-OK$/m, 'apt-get update in RUN');
    const rid = rootIdOf(resolvePaths(root).root);
    assert.equal(
      must(['iptables-save'])
        .split('\n')
        .filter((l) => l.includes(`conductor:${rid}:build-`)),
      [],
      'the build network is gone',
    );

    const host = captureLog();
    await buildImage(uniqueName('nshost'), {
      file: path.join(ctx, 'host.Conductorfile'),
      context: ctx,
      root,
      noCache: true,
      network: 'host',
      log: host.log,
    });
    const h = results(host.text());
    assert.ok(
      h.macs!.some((m) => hostMacs.includes(m)),
      `control: --network host sees the host: ${h.macs}`,
    );
    assert.is(h.abstract, 'open', 'control: abstract socket');
    assert.is(h.loopback, 'open', 'control: loopback');
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});

test.run();
