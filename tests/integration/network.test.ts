/**
 * Real veths, namespaces and iptables, with stand-in containers (the runtime is not needed):
 * each stand-in is `unshare --net --pid --mount --uts --fork` whose PID 1 bind-mounts the
 * container's hosts and resolv.conf over /etc/hosts and /etc/resolv.conf, as the runtime does,
 * so name resolution and in-place edits are tested for real.
 *
 * The FORWARD policy is switched to the other value (ACCEPT <-> DROP) for one isolation check and
 * always restored in `finally`. Traffic goes only to namespaces this test creates, the host's own
 * addresses, and (the --internet test) deb.debian.org.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostMust as must, hostRun as run } from '../helpers/host-cmd.ts';
import { isConductorError, type ErrorCode, addNetwork, peer, unpeer, type NetworkInfo } from '../../sdk/index.ts';
import {
  otherRoutingTools,
  hostInterfaceName,
  rootIdOf,
  undoAll,
  childrenOf,
  refOf,
  containerPaths,
  loadRecord,
  saveRecord,
  type ContainerRecord,
  type UndoStep,
  internalPaths,
} from '../helpers/internals.ts';

const RAND = randomBytes(3).toString('hex');
const root = mkdtempSync('/tmp/cnd-net-');
const paths = internalPaths(root);
const RID = rootIdOf(paths.root);
const OUTSIDE_NS = `ctest-${RAND}`;
const OUTSIDE_IF = `ctq${RAND}`;
const OCTET = 16 + (parseInt(RAND.slice(0, 2), 16) % 200);
const OUTSIDE_HOST_ADDR = `10.250.${OCTET}.1`; // the host's end of the "other host" link
const SENTINEL = `sentinel-${RAND}`;
const SENTINEL_RULE = ['INPUT', '-s', '198.51.100.7/32', '-m', 'comment', '--comment', SENTINEL, '-j', 'ACCEPT'];
const HOST_PORT = 20000 + (parseInt(RAND, 16) % 20000);
const LOCAL_ONLY_PORT = HOST_PORT + 1;

const started: ChildProcess[] = [];
const standIns = new Map<string, number>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function listens(procNetTcp: string, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return procNetTcp.split('\n').some((l) => l.includes(`:${hex} `) && l.trim().split(/\s+/)[3] === '0A');
}

/** A stand-in container: its own net/pid/mount/uts namespaces and a minimal record. */
async function standIn(name: string): Promise<number> {
  const cp = containerPaths(paths, name);
  mkdirSync(cp.dir, { recursive: true });
  writeFileSync(cp.hosts, `127.0.0.1 localhost\n127.0.1.1 ${name}\n`);
  writeFileSync(cp.resolv, '');
  const script = `mount --bind ${cp.hosts} /etc/hosts && mount --bind ${cp.resolv} /etc/resolv.conf && exec sleep 600`;
  const child = spawn('unshare', ['--net', '--pid', '--mount', '--uts', '--fork', 'sh', '-c', script], {
    stdio: 'ignore',
  });
  started.push(child);
  let inner = 0;
  await until(`stand-in ${name}`, () => {
    inner = childrenOf(child.pid!)[0] ?? 0;
    return inner > 0 && readFileSync(`/proc/${inner}/cmdline`, 'utf8').startsWith('sleep');
  });
  const rec: ContainerRecord = {
    name,
    image: 'stand-in',
    command: ['sleep', '600'],
    env: [],
    workdir: '/',
    hostname: name,
    createdAt: new Date().toISOString(),
    init: refOf(inner)!,
    detached: true,
    autoRemove: false,
    limits: {},
    cgroups: [],
    undo: [],
    security: { privileged: false, capAdd: [], capDrop: [] },
  };
  saveRecord(paths, rec);
  standIns.set(name, inner);
  return inner;
}

/** An HTTP server answering its container's name, inside that container's netns. */
async function serve(name: string, port = 8080): Promise<void> {
  const pid = standIns.get(name)!;
  const js = `require('http').createServer((q,s)=>s.end(${JSON.stringify(name)})).listen(${port},'0.0.0.0')`;
  started.push(spawn('nsenter', [`--net=/proc/${pid}/ns/net`, process.execPath, '-e', js], { stdio: 'ignore' }));
  await until(`server in ${name}`, () => listens(readFileSync(`/proc/${pid}/net/tcp`, 'utf8'), port));
}

/** curl from the host, the outside namespace, or inside a stand-in (net + mount: its /etc/hosts). */
function get(from: 'host' | 'outside' | string, url: string): string | null {
  const prefix =
    from === 'host'
      ? []
      : from === 'outside'
        ? ['ip', 'netns', 'exec', OUTSIDE_NS]
        : ['nsenter', `--target=${standIns.get(from)}`, '--net', '--mount'];
  const r = run([...prefix, 'curl', '-sS', '--connect-timeout', '1', '-m', '3', url]);
  return r.code === 0 ? r.out : null;
}

function inside(name: string, argv: string[]) {
  return run(['nsenter', `--target=${standIns.get(name)}`, '--net', '--mount', ...argv]);
}

async function rejects(p: Promise<unknown>, code: ErrorCode): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(isConductorError(e, code), `expected ${code}, got ${String(e)}`);
    return (e as Error).message;
  }
  return assert.unreachable(`expected ${code}`) as never;
}

function forwardPolicy(): string {
  return /^:FORWARD (\w+)/m.exec(must(['iptables-save', '-t', 'filter']))![1]!;
}

/** This root's iptables rules and ipset elements (sets.ts), each carrying its owner's tag. */
function conductorRules(): string[] {
  return `${must(['iptables-save'])}\n${must(['ipset', 'save'])}`
    .split('\n')
    .filter((l) => l.includes(`conductor:${RID}:`));
}

function otherConductorNat(): boolean {
  return must(['iptables-save', '-t', 'nat'])
    .split('\n')
    .some((l) => l.includes('"conductor:') && !l.includes(`conductor:${RID}:`) && /DNAT|MASQUERADE/.test(l));
}

function otherTools(): boolean {
  return otherRoutingTools(JSON.parse(must(['ip', '-j', '-d', 'link', 'show'])), must(['iptables-save'])).length > 0;
}

function linkExists(dev: string): boolean {
  return run(['ip', 'link', 'show', 'dev', dev]).code === 0;
}

const before = { policy: '', ipForward: '' };
const nets = new Map<string, NetworkInfo>();
let hostAddr = '';

test.before(async () => {
  before.policy = forwardPolicy();
  before.ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  must(['iptables', '-w', '-A', ...SENTINEL_RULE]);
  // "Another host": a namespace on its own link to this host.
  must(['ip', 'netns', 'add', OUTSIDE_NS]);
  must(
    ['ip', '-b', '-'],
    [
      `link add ${OUTSIDE_IF} type veth peer name eth0 netns ${OUTSIDE_NS}`,
      `addr add ${OUTSIDE_HOST_ADDR}/30 dev ${OUTSIDE_IF}`,
      `link set ${OUTSIDE_IF} up`,
    ].join('\n') + '\n',
  );
  must(
    ['ip', '-n', OUTSIDE_NS, '-b', '-'],
    [
      'link set lo up',
      `addr add 10.250.${OCTET}.2/30 dev eth0`,
      'link set eth0 up',
      `route add default via ${OUTSIDE_HOST_ADDR}`,
    ].join('\n') + '\n',
  );
  const route = JSON.parse(must(['ip', '-j', 'route', 'get', '198.51.100.1']))[0];
  hostAddr = route.prefsrc;
  // A host service bound to loopback only: must never be reachable from elsewhere.
  const js = `require('http').createServer((q,s)=>s.end('host-local')).listen(${LOCAL_ONLY_PORT},'127.0.0.1')`;
  started.push(spawn(process.execPath, ['-e', js], { stdio: 'ignore' }));
  await until('host-local server', () => listens(readFileSync('/proc/net/tcp', 'utf8'), LOCAL_ONLY_PORT));
});

test.after(async () => {
  try {
    for (const name of standIns.keys()) {
      const rec = loadRecord(paths, name);
      if (rec) await undoAll(paths, rec);
    }
  } finally {
    for (const c of started) if (c.pid && c.exitCode === null) c.kill('SIGKILL');
    for (const pid of standIns.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    run(['ip', 'link', 'del', OUTSIDE_IF]);
    run(['ip', 'netns', 'del', OUTSIDE_NS]);
    run(['iptables', '-w', '-D', ...SENTINEL_RULE]);
    if (forwardPolicy() !== before.policy) run(['iptables', '-w', '-P', 'FORWARD', before.policy]);
    rmSync(root, { recursive: true, force: true });
  }
});

test('addNetwork: address, veth, published port from everywhere, nothing else reachable', async () => {
  await standIn('pub');
  await standIn('lone');
  await standIn('other');
  const pub = await addNetwork('pub', { root, expose: [{ container: 8080, host: HOST_PORT }] });
  nets.set('pub', pub);
  nets.set('lone', await addNetwork('lone', { root }));
  // onAddress: the address as soon as it is reserved, before the interface exists.
  const early: { ip: string; veth: boolean }[] = [];
  const other = await addNetwork('other', {
    root,
    onAddress: (ip) => early.push({ ip, veth: linkExists(hostInterfaceName(paths.root, 'other')) }),
  });
  nets.set('other', other);
  assert.equal(early, [{ ip: other.ip, veth: false }], 'onAddress: once, before the veth');
  assert.match(pub.ip, /^10\.177\.\d+\.\d+$/);
  assert.is(pub.gateway, '10.177.0.1');
  assert.ok(pub.hostInterface.length <= 15 && linkExists(pub.hostInterface));
  assert.is(new Set([...nets.values()].map((n) => n.ip)).size, 3);
  const rec = loadRecord(paths, 'pub')!;
  assert.equal(rec.network?.ports, [{ container: 8080, host: HOST_PORT }]);
  assert.ok(rec.undo.length >= 4);
  for (const n of ['pub', 'lone', 'other']) await serve(n);

  assert.is(get('host', `http://${pub.ip}:8080/`), 'pub', 'the host reaches a container on its address');
  assert.is(get('outside', `http://${OUTSIDE_HOST_ADDR}:${HOST_PORT}/`), 'pub', 'another host, via the host address');
  assert.is(get('host', `http://${hostAddr}:${HOST_PORT}/`), 'pub', 'the host on its own address');
  assert.is(get('host', `http://${OUTSIDE_HOST_ADDR}:${HOST_PORT}/`), 'pub', 'the host on another of its addresses');
  assert.is(get('host', `http://127.0.0.1:${HOST_PORT}/`), 'pub', '127.0.0.1');
  assert.is(get('host', `http://localhost:${HOST_PORT}/`), 'pub', 'localhost');
  assert.is(readFileSync('/proc/sys/net/ipv4/conf/all/route_localnet', 'utf8').trim(), '0');
  assert.is(readFileSync(`/proc/sys/net/ipv4/conf/${OUTSIDE_IF}/route_localnet`, 'utf8').trim(), '0');
  assert.is(readFileSync(`/proc/sys/net/ipv4/conf/${pub.hostInterface}/route_localnet`, 'utf8').trim(), '1');
  // No default route without --internet.
  assert.not.match(inside('lone', ['ip', 'route']).out, /default/);

  const isolated = () => {
    assert.is(get('outside', `http://${nets.get('lone')!.ip}:8080/`), null, 'outside -> unexposed container');
    assert.is(
      get('outside', `http://${pub.ip}:8080/`),
      null,
      'outside -> published container, bypassing the published port',
    );
    assert.is(get('lone', `http://${nets.get('other')!.ip}:8080/`), null, 'container -> unpeered container');
  };
  isolated();
  const flipped = before.policy === 'DROP' ? 'ACCEPT' : 'DROP';
  try {
    must(['iptables', '-w', '-P', 'FORWARD', flipped]);
    isolated();
    assert.is(
      get('outside', `http://${OUTSIDE_HOST_ADDR}:${HOST_PORT}/`),
      'pub',
      `published port under FORWARD ${flipped}`,
    );
  } finally {
    must(['iptables', '-w', '-P', 'FORWARD', before.policy]);
  }
});

test('loopback-bound host services stay unreachable from containers and other hosts', async () => {
  assert.is(get('host', `http://127.0.0.1:${LOCAL_ONLY_PORT}/`), 'host-local');
  const pub = nets.get('pub')!;
  // A hostile container routes 127.0.0.1 to its gateway, through the veth that has route_localnet.
  const attack = [
    'set -e',
    'ip addr flush dev lo', // 127.0.0.1 is no longer its own: replies from it are accepted
    'echo 1 > /proc/sys/net/ipv4/conf/eth0/route_localnet',
    `ip route add 127.0.0.0/8 via ${pub.gateway} dev eth0 src ${pub.ip}`,
  ].join('\n');
  assert.is(inside('pub', ['sh', '-c', attack]).code, 0);
  assert.is(get('pub', `http://127.0.0.1:${LOCAL_ONLY_PORT}/`), null, 'container -> host loopback service');
  // Control: exempting this one veth from the loopback guard (and opening the port in the input
  // guard, which also stops it) makes the same attack work, so the check above is real. Opening
  // the input guard alone still fails: the loopback guard stands by itself. Only our container
  // is ever exempted.
  const open = [
    'CONDUCTOR-INPUT',
    '-i',
    pub.hostInterface,
    '-p',
    'tcp',
    '--dport',
    String(LOCAL_ONLY_PORT),
    '-m',
    'comment',
    '--comment',
    `${SENTINEL}-open`,
    '-j',
    'ACCEPT',
  ];
  const exempt = [
    'CONDUCTOR-PREROUTING',
    '-i',
    pub.hostInterface,
    '-d',
    '127.0.0.0/8',
    '-m',
    'comment',
    '--comment',
    `${SENTINEL}-exempt`,
    '-j',
    'ACCEPT',
  ];
  must(['iptables', '-w', '-I', open[0]!, '1', ...open.slice(1)]);
  try {
    assert.is(get('pub', `http://127.0.0.1:${LOCAL_ONLY_PORT}/`), null, 'the loopback guard alone blocks it');
    must(['iptables', '-w', '-t', 'raw', '-I', exempt[0]!, '1', ...exempt.slice(1)]);
    try {
      assert.is(
        get('pub', `http://127.0.0.1:${LOCAL_ONLY_PORT}/`),
        'host-local',
        'control: the guards are what block it',
      );
    } finally {
      must(['iptables', '-w', '-t', 'raw', '-D', ...exempt]);
    }
  } finally {
    must(['iptables', '-w', '-D', ...open]);
  }
  assert.is(get('pub', `http://127.0.0.1:${LOCAL_ONLY_PORT}/`), null);
  // The same from another host: its packets to 127.0.0.1 are martians on an ordinary interface.
  const outside = [
    'ip addr flush dev lo',
    'echo 1 > /proc/sys/net/ipv4/conf/eth0/route_localnet',
    `ip route add 127.0.0.0/8 via ${OUTSIDE_HOST_ADDR} dev eth0`,
  ].join(' && ');
  assert.is(run(['ip', 'netns', 'exec', OUTSIDE_NS, 'sh', '-c', outside]).code, 0);
  assert.is(get('outside', `http://127.0.0.1:${LOCAL_ONLY_PORT}/`), null, 'other host -> host loopback service');
  assert.is(get('outside', `http://${OUTSIDE_HOST_ADDR}:${LOCAL_ONLY_PORT}/`), null);
  // The published port still works for the hostile container's neighbours.
  assert.is(get('host', `http://127.0.0.1:${HOST_PORT}/`), 'pub');
});

test('errors: twice, ports in use, bad input, nothing changed', async () => {
  await standIn('late');
  await rejects(addNetwork('pub', { root }), 'NETWORK_EXISTS');
  const m1 = await rejects(addNetwork('late', { root, expose: [{ container: 80, host: HOST_PORT }] }), 'PORT_IN_USE');
  assert.ok(m1.includes('"pub"'), m1);
  await rejects(addNetwork('late', { root, expose: [{ container: 80, host: LOCAL_ONLY_PORT }] }), 'PORT_IN_USE');
  await rejects(addNetwork('late', { root, expose: [{ container: 0, host: 80 }] }), 'INVALID_ARGUMENT');
  await rejects(addNetwork('ghost', { root }), 'CONTAINER_NOT_FOUND');
  const rec = loadRecord(paths, 'late')!;
  assert.is(rec.network, undefined);
  assert.equal(rec.undo, []);
  assert.not.ok(conductorRules().some((l) => l.includes(`conductor:${RID}:late"`)));
  const dry = await addNetwork('late', {
    root,
    internet: true,
    expose: [{ container: 80, host: HOST_PORT + 2 }],
    dryRun: true,
  });
  assert.ok(dry.plan!.some((l) => l.includes('MASQUERADE')));
  assert.is(loadRecord(paths, 'late')!.network, undefined, 'dry run changes nothing');
  assert.not.ok(linkExists(dry.hostInterface));
});

test('peer / unpeer: both directions, by name, hosts edited in place, no duplicates', async () => {
  const lone = nets.get('lone')!;
  const other = nets.get('other')!;
  const hostsLone = containerPaths(paths, 'lone').hosts;
  const inode = statSync(hostsLone).ino;
  await peer('lone', 'other', { root });
  assert.is(get('lone', `http://${other.ip}:8080/`), 'other');
  assert.is(get('other', `http://${lone.ip}:8080/`), 'lone');
  assert.is(get('lone', 'http://other:8080/'), 'other', 'by name, through the bind-mounted hosts file');
  assert.match(
    inside('other', ['getent', 'hosts', 'lone']).out,
    new RegExp(`^${lone.ip.replace(/\./g, '\\.')}\\s+lone`),
  );
  assert.is(get('pub', `http://${other.ip}:8080/`), null, 'a third container is still shut out');
  assert.equal(loadRecord(paths, 'lone')!.network!.peers, ['other']);
  assert.equal(loadRecord(paths, 'other')!.network!.peers, ['lone']);

  assert.equal((await peer('other', 'lone', { root })).changed, false);
  await unpeer('lone', 'other', { root });
  assert.is(get('lone', `http://${other.ip}:8080/`), null, 'unpeered');
  assert.not.ok(readFileSync(hostsLone, 'utf8').includes(' other'));
  assert.equal(loadRecord(paths, 'lone')!.network!.peers, []);
  await peer('lone', 'other', { root });
  const lines = readFileSync(hostsLone, 'utf8')
    .split('\n')
    .filter((l) => l === `${other.ip} other`);
  assert.is(lines.length, 1);
  assert.is(statSync(hostsLone).ino, inode, 'same inode: the bind mount sees the edits');

  await rejects(peer('lone', 'lone', { root }), 'INVALID_ARGUMENT');
  await rejects(peer('lone', 'ghost', { root }), 'CONTAINER_NOT_FOUND');
  await rejects(peer('lone', 'late', { root }), 'NO_NETWORK');

  // Stopping one side removes the rules and its line from the other's hosts file.
  const recOther = loadRecord(paths, 'other')!;
  await undoAll(paths, recOther);
  saveRecord(paths, { ...recOther, undo: [] });
  assert.not.ok(readFileSync(hostsLone, 'utf8').includes(' other'));
  assert.equal(loadRecord(paths, 'lone')!.network!.peers, []);
  assert.not.ok(conductorRules().some((l) => l.includes(`"conductor:${RID}:other"`)));
  assert.not.ok(linkExists(other.hostInterface));
});

test('--internet: NAT out of the default route, resolvers from the host', async () => {
  await standIn('net');
  const n = await addNetwork('net', { root, internet: true });
  assert.ok(n.internet);
  const resolv = readFileSync(containerPaths(paths, 'net').resolv, 'utf8');
  assert.match(resolv, /^nameserver /m);
  assert.not.match(resolv, /127\.0\.0\.53|8\.8\.8\.8/);
  assert.match(inside('net', ['ip', 'route']).out, /^default via 10\.177\.0\.1/m);
  assert.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1');
  const r = inside('net', [
    'curl',
    '-sSf',
    '-m',
    '20',
    '-o',
    '/dev/null',
    'http://deb.debian.org/debian/dists/bookworm/Release',
  ]);
  assert.is(r.code, 0, r.err);
  assert.is(get('net', `http://${nets.get('lone')!.ip}:8080/`), null, 'internet is not other containers');
  // The host's other subnets are not "the internet": only the default-route interface is.
  const js = `require('http').createServer((q,s)=>s.end('outside')).listen(8080,'0.0.0.0')`;
  started.push(spawn('ip', ['netns', 'exec', OUTSIDE_NS, process.execPath, '-e', js], { stdio: 'ignore' }));
  const outsideAddr = `10.250.${OCTET}.2`;
  await until('outside server', () => get('host', `http://${outsideAddr}:8080/`) === 'outside');
  assert.is(get('net', `http://${outsideAddr}:8080/`), null, 'container -> another host subnet');
});

test('20 parallel addNetwork calls get 20 distinct addresses', async () => {
  const names = Array.from({ length: 20 }, (_, i) => `par${i}`);
  await Promise.all(names.map((n) => standIn(n)));
  const t0 = Date.now();
  const infos = await Promise.all(names.map((n) => addNetwork(n, { root })));
  const ms = Date.now() - t0;
  assert.is(new Set(infos.map((i) => i.ip)).size, 20);
  assert.is(new Set(infos.map((i) => i.hostInterface)).size, 20);
  for (const i of infos) assert.ok(linkExists(i.hostInterface));
  process.stderr.write(`  20 parallel addNetwork: ${ms} ms\n`);
  for (const n of names) {
    const rec = loadRecord(paths, n)!;
    await undoAll(paths, rec);
    rmSync(containerPaths(paths, n).dir, { recursive: true, force: true });
    process.kill(standIns.get(n)!, 'SIGKILL');
    standIns.delete(n);
  }
});

/** An undo step as a version-1 record held it: argv lists, `@`-prefixed for in-process operations. */
function legacyUndo(u: UndoStep): Record<string, unknown> {
  const op = u.op;
  switch (op.kind) {
    case 'exec':
      return { argv: op.argv, ...(op.input !== undefined ? { input: op.input } : {}), about: u.about };
    case 'sysctl':
      return { argv: ['@sysctl', op.key, op.value], about: u.about };
    case 'write-in-place':
      return { argv: ['@write', op.file], input: op.content, about: u.about };
    case 'hosts':
      return { argv: ['@hosts', op.action, op.file, op.ip, op.name], about: u.about };
    case 'forwarding-hold':
      return { argv: ['@ip-forward', 'hold'], about: u.about };
    case 'forwarding-on':
      return { argv: ['@ip-forward', 'on'], about: u.about };
    case 'forwarding-release':
      return { argv: ['@ip-forward', 'release', op.tag], about: u.about };
  }
}

test('a version-1 record (argv-form undo steps, from before the upgrade) is still undone completely', async () => {
  await standIn('old');
  const net = await addNetwork('old', { root, expose: [{ container: 8080, host: HOST_PORT + 2 }] });
  const rec = loadRecord(paths, 'old')!;
  const tag = `conductor:${RID}:old`;
  assert.ok(conductorRules().some((l) => l.includes(tag)) && linkExists(net.hostInterface));
  const v1 = { ...rec, version: 1, undo: rec.undo.map(legacyUndo) };
  writeFileSync(containerPaths(paths, 'old').state, JSON.stringify(v1));
  const read = loadRecord(paths, 'old')!;
  assert.equal(read.undo, rec.undo, 'read back as the same typed steps');
  await undoAll(paths, read);
  assert.not.ok(linkExists(net.hostInterface), 'veth gone');
  assert.equal(
    conductorRules().filter((l) => l.includes(`"${tag}"`) || l.includes(` ${tag} `)),
    [],
    'rules gone',
  );
  rmSync(containerPaths(paths, 'old').dir, { recursive: true, force: true });
  process.kill(standIns.get('old')!, 'SIGKILL');
  standIns.delete('old');
});

const MANY = 'many containers: one set element each and no per-container filter rule; ports and peers still work';
test(MANY, async () => {
  const many = Array.from({ length: 12 }, (_, i) => `many${i}`);
  for (const n of many) await standIn(n);
  for (const [i, n] of many.entries()) {
    const expose = i === 5 ? [{ container: 8080, host: HOST_PORT + 2 }] : [];
    nets.set(n, await addNetwork(n, { root, expose, internet: i % 2 === 0 }));
  }
  await serve('many5');
  await serve('many7');
  const tagged = (text: string) => text.split('\n').filter((l) => l.includes(`conductor:${RID}:many`));
  assert.equal(tagged(must(['iptables-save', '-t', 'filter'])), [], 'no per-container FORWARD or INPUT rule');
  assert.is(tagged(must(['ipset', 'save', 'conductor-addr'])).length, many.length, 'one address element each');
  assert.is(tagged(must(['ipset', 'save', 'conductor-out'])).length, many.length / 2, '--internet: one each');
  assert.is(get('outside', `http://${OUTSIDE_HOST_ADDR}:${HOST_PORT + 2}/`), 'many5', 'published, from outside');
  assert.is(get('host', `http://127.0.0.1:${HOST_PORT + 2}/`), 'many5', 'published, on 127.0.0.1');
  assert.is(get('outside', `http://${nets.get('many7')!.ip}:8080/`), null, 'outside -> unexposed container');
  assert.is(get('many0', `http://${nets.get('many7')!.ip}:8080/`), null, 'container -> unpeered container');
  await peer('many0', 'many7', { root });
  assert.is(get('many0', `http://${nets.get('many7')!.ip}:8080/`), 'many7', 'peered');
  assert.is(get('many2', `http://${nets.get('many7')!.ip}:8080/`), null, 'a third container is still shut out');
  for (const n of many) await undoAll(paths, loadRecord(paths, n)!);
  assert.equal(tagged(`${must(['iptables-save'])}\n${must(['ipset', 'save'])}`), [], 'every element removed');
});

test("undoAll removes exactly conductor's changes", async () => {
  // Our "other host" link is another routing tool's veth to conductor: gone, it cannot keep ip_forward on.
  run(['ip', 'link', 'del', OUTSIDE_IF]);
  const othersBefore = otherTools();
  const ifaces = [...nets.values()].map((n) => n.hostInterface);
  const recs: ContainerRecord[] = [];
  for (const name of standIns.keys()) {
    const rec = loadRecord(paths, name);
    if (!rec) continue;
    recs.push(rec);
    if (rec.network) ifaces.push(rec.network.hostInterface);
    await undoAll(paths, rec);
    saveRecord(paths, { ...rec, undo: [] });
  }
  assert.equal(conductorRules(), []);
  for (const i of ifaces) assert.not.ok(linkExists(i), i);
  assert.ok(must(['iptables-save', '-t', 'filter']).includes(SENTINEL), 'host rule untouched');
  assert.is(forwardPolicy(), before.policy);
  // Other helpers' namespaces (their veths) on this host may keep it on, by design: then it stays on.
  const others = othersBefore || otherTools();
  const fwd = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  if (!otherConductorNat()) assert.is(fwd, others && before.ipForward === '0' ? fwd : before.ipForward);
  if (fwd === '0')
    assert.not.ok(
      must(['iptables-save', '-t', 'filter']).includes('conductor-forward-guard'),
      'the forward guard goes with forwarding',
    );
  // Replaying the same undo lists again is harmless.
  for (const rec of recs) await undoAll(paths, rec);
  assert.ok(must(['iptables-save', '-t', 'filter']).includes(SENTINEL));
});

test.run();
