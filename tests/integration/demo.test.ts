/**
 * The two-service demo end to end, as a user runs it: `scripts/service-orchestrator.ts` (up, up again,
 * down) as a child process, in a throwaway state root (both images are built from scratch in it;
 * the debootstrap base comes from the shared CONDUCTOR_CACHE), on the spec's host port 3000.
 *
 * Checked from "another host" (a network namespace on its own veth link to this host, see
 * tests/helpers/outside-host.ts), from the host, from es-cont, and from a third, unpeered container.
 * After `down`, mounts, conductor links, conductor rules, processes and ip_forward are back to the
 * baseline, and the host's own iptables rules (filter, nat, raw; conductor's chains and hooks, which
 * are kept on purpose, and packet counters aside) are byte-identical, a sentinel rule included.
 *
 * Then the same demo as a stack (stacks/demo.ts, scripts/stack.ts up/down), and as one pod under
 * podman: both images exported and `podman load`ed into a throwaway podman store, the pod that
 * renderPodmanKube renders played with `podman kube play --network none`, the greeting fetched inside
 * it, `kube down`, `rmi`; the host's own podman store is left as it was (tests/helpers/podman-store.ts).
 *
 * Traffic goes only to loopback, this host's own addresses and namespaces this test creates (plus
 * Debian's mirror, from the apt installs of the image builds). Bounded to ~5 minutes, cold builds
 * included: every child process has a timeout taken from one deadline for the whole file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOutsideHost, type OutsideHost } from '../helpers/outside-host.ts';
import { findProcesses, makeTempRoot, mountLinesMentioning, uniqueName } from '../helpers/temp-root.ts';
import { exec, exportImage, inspect, ps, run, silentLogger, stop, addNetwork } from '../../sdk/index.ts';
import { createPodmanStore, defaultPodmanState, mountsUnder, type PodmanStore } from '../helpers/podman-store.ts';
import { HOST_IF_PREFIX, hostInterfaceName, rootIdOf, isAlive, refOf, type ProcessRef } from '../helpers/internals.ts';

const T0 = Date.now();
// The whole file, cold image builds included: the tests stop at DEADLINE, cleanup adds ≤ ~30 s.
const DEADLINE = T0 + 320_000;
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ORCHESTRATOR = path.join(REPO, 'scripts', 'service-orchestrator.ts');
const STACK = path.join(REPO, 'scripts', 'stack.ts');
const CLI = path.join(REPO, 'dist', 'conductor.cjs');
const PORT = 3000; // the spec's port: never silently another one
const tmp = makeTempRoot();
const ROOT = tmp.root;
const RID = rootIdOf(ROOT);
const ES = uniqueName('es');
const CS = uniqueName('cs');
const THIRD = uniqueName('x');
const RAND = randomBytes(3).toString('hex');
const SENTINEL = `sentinel-${RAND}`;
// 198.51.100.0/24 is TEST-NET-2.
const SENTINEL_RULE = ['INPUT', '-s', '198.51.100.77/32', '-m', 'comment', '--comment', SENTINEL, '-j', 'ACCEPT'];
const GREETING = /^Hello from external-service! The counter is at (\d+)\.$/;
const HOLDER = ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep infinity & wait'];

// ------------------------------------------------------------------ plumbing

interface Result {
  code: number;
  out: string;
  err: string;
  ms: number;
}

function sh(argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Result {
  const t0 = Date.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: opts.env, timeout: opts.timeoutMs ?? 30_000 });
  return {
    code: r.status ?? 1,
    out: r.stdout ?? '',
    err: (r.stderr ?? '') + (r.error ? String(r.error) : ''),
    ms: Date.now() - t0,
  };
}

function must(argv: string[]): string {
  const r = sh(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.err.trim()}`);
  return r.out;
}

/** Milliseconds left for a step: at most `cap`, never past the file's deadline (but ≥ 1 s). */
const budget = (cap: number) => Math.max(1000, Math.min(cap, DEADLINE - Date.now()));

const orchestratorEnv: NodeJS.ProcessEnv = {
  ...process.env,
  CONDUCTOR_ROOT: ROOT,
  HOST_PORT: String(PORT),
  ES_NAME: ES,
  CS_NAME: CS,
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};
let child: ChildProcess | null = null;

/**
 * `node --import tsx scripts/service-orchestrator.ts [args]` (or another script), in its own process group, killed
 * (group) on timeout.
 */
function orchestrator(
  args: string[],
  timeoutMs: number,
  script = ORCHESTRATOR,
): Promise<Result & { timedOut: boolean }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPO,
      env: orchestratorEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = c;
    let out = '';
    let err = '';
    c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killChild(c);
    }, timeoutMs);
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      child = null;
      resolve({ code: code ?? (signal ? 128 : 1), out, err, ms: Date.now() - t0, timedOut });
    });
  });
}

function killChild(c: ChildProcess): void {
  try {
    process.kill(-c.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    if (child) killChild(child);
    process.exit(130);
  });
}

const tail = (s: string, n = 30) => s.trimEnd().split('\n').slice(-n).join('\n');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function explain(what: string, r: Result & { timedOut: boolean }): string {
  return (
    `${what}: ${r.timedOut ? `timed out after ${secs(r.ms)}` : `exit ${r.code}`}\n` +
    `--- stdout:\n${tail(r.out)}\n--- stderr (tail):\n${tail(r.err)}`
  );
}

/** GET from the host with curl (never through a proxy). */
function hostGet(url: string, maxTime = 5): { status: number; body: string | null } {
  const r = sh(['curl', '-s', '--noproxy', '*', '--max-time', String(maxTime), '-w', '\n%{http_code}', url], {
    timeoutMs: (maxTime + 5) * 1000,
  });
  const nl = r.out.lastIndexOf('\n');
  const status = nl >= 0 ? Number(r.out.slice(nl + 1)) || 0 : 0;
  return { status, body: r.code === 0 && status >= 200 && status < 300 ? r.out.slice(0, nl) : null };
}

function counterOf(body: string | null, where: string): number {
  const m = GREETING.exec((body ?? '').trim());
  assert.ok(m, `${where}: expected the greeting, got ${JSON.stringify(body)}`);
  return Number(m![1]);
}

function listensOn(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((f) => {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      /* no IPv6 */
    }
    return text.split('\n').some((l) => {
      const cols = l.trim().split(/\s+/);
      return cols[1]?.endsWith(hex) && cols[3] === '0A';
    });
  });
}

/** Any conductor state root already publishing the port (a running demo, another test). */
function conductorPublishes(port: number): string | null {
  const nat = sh(['iptables-save', '-t', 'nat']).out.split('\n');
  return (
    nat.find((l) => l.includes('CONDUCTOR-PREROUTING') && l.includes(`--dport ${port} `) && l.includes('DNAT')) ?? null
  );
}

// ------------------------------------------------------------------ host snapshots

/** iptables rules that are the host's own: conductor's chains, hooks, rules and guard dropped, counters stripped. */
function hostRules(): string[] {
  return ['filter', 'nat', 'raw']
    .flatMap((t) => sh(['iptables-save', '-t', t]).out.split('\n'))
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/\s+\[\d+:\d+\]$/, ''))
    .filter((l) => !/CONDUCTOR-|conductor[:-]/.test(l));
}

/** Every rule (any table) owned by this state root. */
function conductorRules(): string[] {
  return must(['iptables-save'])
    .split('\n')
    .filter((l) => l.includes(`conductor:${RID}:`));
}

/** DNAT/MASQUERADE rules of *other* state roots: those keep ip_forward on by design (sdk/network/ip-forward.ts). */
function otherForwardingUsers(): string[] {
  return sh(['iptables-save', '-t', 'nat'])
    .out.split('\n')
    .filter(
      (l) =>
        l.includes('conductor:') &&
        !l.includes(`conductor:${RID}:`) &&
        /CONDUCTOR-(PRE|POST)ROUTING/.test(l) &&
        /-j (DNAT|MASQUERADE)/.test(l),
    );
}

function conductorLinks(): string[] {
  const links = JSON.parse(must(['ip', '-j', 'link', 'show']) || '[]') as Array<{ ifname: string }>;
  return links
    .map((l) => l.ifname)
    .filter((n) => n.startsWith(HOST_IF_PREFIX))
    .sort();
}

const ipForward = () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
const forwardPolicy = () => /^:FORWARD (\w+)/m.exec(must(['iptables-save', '-t', 'filter']))?.[1] ?? '?';
const rootProcesses = () => findProcesses((cmd) => cmd.includes(ROOT)).sort();

/** Every process in the network namespace of `pid` (a container's init): services exec'd in included. */
function processesInNetnsOf(pid: number): ProcessRef[] {
  const netns = readlinkSync(`/proc/${pid}/ns/net`);
  const out: ProcessRef[] = [];
  for (const p of readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)) {
    try {
      if (readlinkSync(`/proc/${p}/ns/net`) !== netns) continue;
    } catch {
      continue;
    }
    const ref = refOf(p);
    if (ref) out.push(ref);
  }
  return out;
}

// ------------------------------------------------------------------ state shared by the tests

const base = {
  rules: [] as string[],
  links: [] as string[],
  mounts: [] as string[],
  processes: [] as number[],
  ipForward: '',
  policy: '',
};
let outside: OutsideHost | null = null;
let sentinelAdded = false;
let upAttempted = false;
let stackAttempted = false;
let up = false;
let csIp = '';
let esIp = '';
let rulesAfterUp = 0;
const timings: string[] = [];
let pods: PodmanStore | null = null;
let played = ''; // the pod YAML podman kube play ran, until kube down

function requireUp(): void {
  if (!up) throw new Error('the demo is not up (an earlier test failed); nothing to check');
  inTime();
}

function inTime(): void {
  if (Date.now() > DEADLINE) throw new Error(`out of time: the file's ${secs(DEADLINE - T0)} budget is used up`);
}

function cliIp(name: string): string {
  const r = sh([process.execPath, CLI, 'inspect', name, '--format', 'ip'], {
    env: { ...process.env, CONDUCTOR_ROOT: ROOT },
  });
  assert.is(r.code, 0, `conductor inspect ${name}: ${r.err}`);
  return r.out.trim();
}

// ------------------------------------------------------------------ tests

const upName = `up: host port ${PORT} is free, both images build in a fresh root, the demo starts and prints its URLs`;
test(upName, async () => {
  const listener = listensOn(PORT);
  const published = conductorPublishes(PORT);
  if (listener || published) {
    assert.unreachable(
      `host port ${PORT} is already in use ` +
        `(${listener ? 'a socket listens on it' : `conductor publishes it: ${published}`}); ` +
        "the demo test needs exactly this port (the spec's), so it does not pick another one. Stop whatever holds it " +
        '(a running demo: `npx just down`) and run the test again.',
    );
  }
  // Baseline, with a sentinel host rule that must survive everything.
  must(['iptables', '-w', '-A', ...SENTINEL_RULE]);
  sentinelAdded = true;
  base.rules = hostRules();
  base.links = conductorLinks();
  base.mounts = mountLinesMentioning(ROOT);
  base.processes = rootProcesses();
  base.ipForward = ipForward();
  base.policy = forwardPolicy();
  assert.ok(base.rules.some((l) => l.includes(SENTINEL)));
  outside = createOutsideHost();

  upAttempted = true;
  const r = await orchestrator([], budget(150_000));
  timings.push(`up (cold, builds both images) ${secs(r.ms)}`);
  assert.is(r.code, 0, explain('up', r));
  csIp = cliIp(CS);
  esIp = cliIp(ES);
  assert.match(csIp, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(esIp, /^\d+\.\d+\.\d+\.\d+$/);
  assert.ok(r.out.includes(`http://localhost:${PORT}/`), `URL of the external service in stdout:\n${r.out}`);
  assert.ok(r.out.includes(`http://${csIp}:8080/get_and_increment_counter`), `URL of the counter in stdout:\n${r.out}`);
  const info = await inspect(CS, { root: ROOT });
  assert.is(info.ip, csIp, 'CLI and SDK inspect agree');
  assert.equal(info.peers, [ES]);
  // What down must undo later is really there now.
  rulesAfterUp = conductorRules().length;
  assert.ok(rulesAfterUp > 0, 'conductor rules for this root exist while the demo runs');
  for (const n of [ES, CS]) assert.ok(conductorLinks().includes(hostInterfaceName(ROOT, n)), `veth of ${n}`);
  assert.is(ipForward(), '1', 'ip_forward is on while a port is published (sdk/network/ip-forward.ts switches it on)');
  up = true;
});

const anotherHostGETHost =
  `another host: GET <host address>:${PORT} answers the greeting, ` +
  'the counter strictly increasing over 20 requests';
test(anotherHostGETHost, () => {
  requireUp();
  let last = -Infinity;
  for (let i = 0; i < 20; i++) {
    inTime();
    const r = outside!.curl(`http://${outside!.hostAddr}:${PORT}/`, { maxTimeSeconds: 5 });
    const n = counterOf(r.body, `request ${i + 1} from ${outside!.ns} (HTTP ${r.status})`);
    assert.ok(n > last, `request ${i + 1}: counter ${n} after ${last}`);
    last = n;
  }
});

test(`the host: http://127.0.0.1:${PORT}/ and http://localhost:${PORT}/`, () => {
  requireUp();
  const a = counterOf(hostGet(`http://127.0.0.1:${PORT}/`).body, '127.0.0.1');
  const b = counterOf(hostGet(`http://localhost:${PORT}/`).body, 'localhost');
  assert.ok(b > a);
});

const theCounterServiceReachable =
  'the counter service: reachable from the host and from es-cont by name; ' +
  'not from another host or an unpeered container';
test(theCounterServiceReachable, async () => {
  requireUp();
  const health = hostGet(`http://${csIp}:8080/health`);
  assert.is(health.status, 200, 'host -> counter /health');
  assert.is(health.body, 'ok');

  const py = [
    'import urllib.request',
    'opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))',
    `r = opener.open("http://${CS}:8080/health", timeout=3)`,
    'print(r.status, r.read().decode())',
  ].join('\n');
  const byName = await exec(ES, ['python3', '-c', py], { root: ROOT });
  assert.is(byName.exitCode, 0, `es-cont -> http://${CS}:8080/health: ${byName.stderr}`);
  assert.is(byName.stdout.trim(), '200 ok');

  // Another host: no route through the host to an unpublished container (nor around the published port).
  for (const ip of [csIp, esIp]) {
    const r = outside!.curl(`http://${ip}:8080/health`, { maxTimeSeconds: 3 });
    assert.is(r.body, null, `another host -> ${ip}:8080 must fail`);
    assert.is(r.status, 0, `another host -> ${ip}:8080: no HTTP answer at all`);
    assert.ok(r.ms < 4500, `bounded: ${r.ms} ms`);
  }

  // A third container from the counter image (no curl; perl-base's IO::Socket::INET), on the
  // internet (so it has a default route and the packets really reach the host), not peered.
  const connect = (ip: string) => [
    'perl',
    '-MIO::Socket::INET',
    '-e',
    `exit(IO::Socket::INET->new(PeerAddr=>"${ip}:8080",Timeout=>2)?0:1)`,
  ];
  const control = await exec(ES, connect(csIp), { root: ROOT });
  assert.is(control.exitCode, 0, `control: the same probe from the peer es-cont connects: ${control.stderr}`);
  await run('counter-service', THIRD, { root: ROOT, detach: true, command: HOLDER });
  try {
    await addNetwork(THIRD, { root: ROOT, internet: true });
    const t0 = Date.now();
    const probe = await exec(THIRD, connect(csIp), { root: ROOT });
    assert.is(probe.exitCode, 1, `unpeered container -> ${csIp}:8080 must fail to connect: ${probe.stderr}`);
    assert.ok(Date.now() - t0 < 6000, 'bounded');
  } finally {
    await stop(THIRD, { root: ROOT, timeoutSeconds: 2, ignoreMissing: true });
  }
  assert.not.ok(conductorLinks().includes(hostInterfaceName(ROOT, THIRD)), "third container's veth removed");
  assert.not.ok(
    conductorRules().some((l) => l.includes(`:${THIRD}"`)),
    "third container's rules removed",
  );
});

test('re-running up replaces the old containers safely', async () => {
  requireUp();
  const old = await Promise.all([ES, CS].map(async (n) => (await inspect(n, { root: ROOT })).pid!));
  const oldRefs = old.map((pid) => refOf(pid)!);
  const r = await orchestrator([], budget(60_000));
  timings.push(`up again (images cached in the root) ${secs(r.ms)}`);
  assert.is(r.code, 0, explain('second up', r));
  for (const ref of oldRefs) assert.not.ok(isAlive(ref), `old init ${ref.pid} is gone`);
  const now = (await ps({ root: ROOT, all: true })).map((c) => `${c.name}:${c.status}`).sort();
  assert.equal(now, [`${CS}:running`, `${ES}:running`].sort());
  assert.is(conductorRules().length, rulesAfterUp, 'same rules as after the first up: nothing duplicated or leaked');
  csIp = cliIp(CS);
  esIp = cliIp(ES);
  const a = counterOf(outside!.curl(`http://${outside!.hostAddr}:${PORT}/`).body, 'another host after the second up');
  const b = counterOf(hostGet(`http://127.0.0.1:${PORT}/`).body, 'host after the second up');
  assert.ok(b > a);
});

const downStopsBothMounts =
  'down stops both; mounts, links, rules, processes and ip_forward are back to the baseline; host rules untouched';
test(downStopsBothMounts, async () => {
  requireUp();
  const inits = await Promise.all([ES, CS].map(async (n) => (await inspect(n, { root: ROOT })).pid!));
  const inContainers = inits.flatMap(processesInNetnsOf);
  assert.ok(inContainers.length >= 4, `init + service in each container (${inContainers.length})`);

  // The outside host's veth is another tool's routed link: while it exists, conductor rightly keeps
  // ip_forward on. It is no longer needed here; remove it so the switch-off can be checked.
  outside?.cleanup();
  outside = null;
  const r = await orchestrator(['down'], budget(20_000));
  timings.push(`down ${secs(r.ms)}`);
  assert.is(r.code, 0, explain('down', r));
  up = false;

  assert.equal(mountLinesMentioning(ROOT), base.mounts, 'mounts');
  const newLinks = conductorLinks().filter((l) => !base.links.includes(l));
  assert.equal(newLinks, [], 'conductor links');
  for (const n of [ES, CS, THIRD]) assert.not.ok(conductorLinks().includes(hostInterfaceName(ROOT, n)));
  assert.equal(conductorRules(), [], 'conductor rules of this root');
  assert.equal(rootProcesses(), base.processes, 'processes mentioning the root');
  assert.equal(
    inContainers.filter(isAlive).map((p) => p.pid),
    [],
    'processes of the containers',
  );
  assert.equal(
    (await ps({ root: ROOT, all: true })).map((c) => c.name),
    [],
    'no containers left',
  );

  // The host's own rules, byte for byte (counters aside); the sentinel among them.
  const after = hostRules();
  const missing = base.rules.filter((l) => !after.includes(l));
  const extra = after.filter((l) => !base.rules.includes(l));
  assert.equal({ missing, extra }, { missing: [], extra: [] }, 'host iptables rules (filter, nat, raw)');
  assert.equal(after, base.rules);
  assert.is(sh(['iptables', '-w', '-C', ...SENTINEL_RULE]).code, 0, 'the sentinel survives');
  assert.is(forwardPolicy(), base.policy, 'FORWARD policy');
  // sdk/network/ip-forward.ts: conductor turns ip_forward on when needed and back off only if it did so itself
  // in this boot and no conductor DNAT/MASQUERADE of any state root is left; a host that had it on keeps it.
  const others = otherForwardingUsers();
  if (base.ipForward === '1') assert.is(ipForward(), '1', 'ip_forward stays on');
  else if (others.length === 0) assert.is(ipForward(), '0', 'ip_forward switched back off');
  else process.stderr.write(`  note: ip_forward left on for ${others.length} rule(s) of other conductor roots\n`);
});

const theDemoAsA =
  `the demo as a stack (stacks/demo.ts): up serves on ${PORT} to the host and another host, ` +
  'the counter only to its peer; a second up changes nothing; down restores the baseline';
test(theDemoAsA, async () => {
  inTime();
  outside = createOutsideHost();
  stackAttempted = true;
  const r = await orchestrator(['up', 'stacks/demo.ts', '--wait'], budget(90_000), STACK);
  timings.push(`stack up (images cached) ${secs(r.ms)}`);
  assert.is(r.code, 0, explain('stack up', r));
  assert.match(r.out, /^demo: started demo-counter-service, demo-external-service\n$/);
  const a = counterOf(hostGet(`http://127.0.0.1:${PORT}/`).body, 'the host, through the stack');
  const b = counterOf(
    outside.curl(`http://${outside.hostAddr}:${PORT}/`, { maxTimeSeconds: 5 }).body,
    'another host, through the stack',
  );
  assert.ok(b > a, `${b} after ${a}`);
  const counter = await inspect('demo-counter-service', { root: ROOT });
  assert.equal(counter.peers, ['demo-external-service']);
  const direct = outside.curl(`http://${counter.ip}:8080/health`, { maxTimeSeconds: 3 });
  assert.is(direct.status, 0, 'another host gets no answer from the unpublished counter');
  const pids = await Promise.all(
    ['demo-counter-service', 'demo-external-service'].map(async (n) => (await inspect(n, { root: ROOT })).pid),
  );

  const again = await orchestrator(['up', 'stacks/demo.ts'], budget(30_000), STACK);
  timings.push(`stack up again (no-op) ${secs(again.ms)}`);
  assert.is(again.code, 0, explain('second stack up', again));
  assert.match(again.out, /started nothing; unchanged counter-service, external-service/);
  const pidsAfter = await Promise.all(
    ['demo-counter-service', 'demo-external-service'].map(async (n) => (await inspect(n, { root: ROOT })).pid),
  );
  assert.equal(pidsAfter, pids, 'the same containers');

  outside.cleanup();
  outside = null;
  const d = await orchestrator(['down', 'stacks/demo.ts'], budget(30_000), STACK);
  assert.is(d.code, 0, explain('stack down', d));
  assert.equal(mountLinesMentioning(ROOT), base.mounts, 'mounts');
  assert.equal(
    conductorLinks().filter((l) => !base.links.includes(l)),
    [],
    'conductor links',
  );
  assert.equal(conductorRules(), [], 'conductor rules of this root');
  assert.equal(rootProcesses(), base.processes, 'processes mentioning the root');
  assert.equal(
    (await ps({ root: ROOT, all: true })).map((c) => c.name),
    [],
    'no containers left',
  );
  assert.equal(hostRules(), base.rules, 'host iptables rules');
});

const PODMAN_POD_TEST =
  'the demo pod under podman (renderPodmanKube): export + podman load both images, kube play --network none, ' +
  '"counter is at N" inside the pod, kube down, rmi; podman as found';
test(PODMAN_POD_TEST, async () => {
  inTime();
  const before = defaultPodmanState();
  pods = createPodmanStore();
  const p = pods;
  const t0 = Date.now();
  for (const image of ['counter-service', 'external-service']) {
    const tar = path.join(p.dir, `${image}.tar`);
    const x = await exportImage(image, tar, { root: ROOT, log: silentLogger() });
    assert.is(x.name, `localhost/${image}:latest`);
    assert.match(p.must(['load', '-i', tar], budget(60_000)), new RegExp(`Loaded image: localhost/${image}:latest`));
  }
  timings.push(`export + podman load of both images ${secs(Date.now() - t0)}`);

  // The pod as a user renders it: scripts/stack.ts podman-kube --no-publish (podman 4.3 refuses any
  // port under --network none).
  const r = await orchestrator(['podman-kube', 'stacks/demo.ts', '--no-publish'], budget(30_000), STACK);
  assert.is(r.code, 0, explain('stack podman-kube', r));
  assert.not.match(r.out, /hostPort|containerPort/);
  const yamlFile = path.join(p.dir, 'demo.pod.yaml');
  writeFileSync(yamlFile, r.out);
  const play = p.podman(['kube', 'play', '--network', 'none', yamlFile], budget(60_000));
  timings.push(`podman kube play ${secs(play.ms)}`);
  assert.is(play.code, 0, `podman kube play: ${play.err}`);
  played = yamlFile;
  // kube play returns once the containers run: both of them, and the pod's infra container.
  const running = p.must(['ps', '--filter', 'status=running', '--format', '{{.Names}}']).trim().split('\n').sort();
  assert.is(running.length, 3, `running: ${running.join(', ')}`);
  assert.equal(
    running.filter((n) => !n.endsWith('-infra')),
    ['demo-counter-service', 'demo-external-service'],
  );

  // --network none for real: the pod has loopback only. The port the service really listens on is
  // the one the renderer moved it to (the counter holds 8080): read it from the running container.
  const inPod = (py: string) => p.podman(['exec', 'demo-external-service', 'python3', '-c', py], budget(30_000));
  const ifs = inPod('import socket; print(" ".join(sorted(n for _, n in socket.if_nameindex())))');
  assert.is(ifs.code, 0, ifs.err);
  assert.is(ifs.out.trim(), 'lo', 'the pod has no interface but loopback');
  const port = p.must(['exec', 'demo-external-service', 'printenv', 'PORT']).trim();
  assert.is(port, '8081', "the counter keeps 8080; the external service moves to the pod's next free port");
  // The containers start together (a pod has no dependsOn): poll until the counter answers, bounded.
  const get = [
    'import time, urllib.request',
    'opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))',
    'deadline, out = time.monotonic() + 20, []',
    'while len(out) < 5:',
    '    try:',
    `        out.append(opener.open("http://127.0.0.1:${port}/", timeout=3).read().decode().strip())`,
    '    except Exception as e:',
    '        if out or time.monotonic() > deadline: raise',
    '        time.sleep(0.2)',
    'print("\\n".join(out))',
  ].join('\n');
  const got = inPod(get);
  assert.is(got.code, 0, `GET inside the pod: ${got.err}`);
  const counts = got.out
    .trim()
    .split('\n')
    .map((l, i) => counterOf(l, `request ${i + 1} inside the pod`));
  assert.is(counts.length, 5);
  for (let i = 1; i < counts.length; i++)
    assert.ok(counts[i]! > counts[i - 1]!, `counter ${counts[i]} after ${counts[i - 1]}`);

  const down = p.podman(['kube', 'down', yamlFile], budget(60_000));
  timings.push(`podman kube down ${secs(down.ms)}`);
  assert.is(down.code, 0, `podman kube down: ${down.err}`);
  played = '';
  assert.equal(p.must(['pod', 'ps', '--noheading']).trim(), '', 'no pod left');
  assert.equal(p.must(['ps', '--all', '--noheading']).trim(), '', 'no container left (the infra one included)');
  // What this test put into podman: the two loaded images and the pause image kube play built (catatonit).
  const loaded = p.must(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n').sort();
  assert.equal(
    loaded.filter((i) => !i.startsWith('localhost/podman-pause:')),
    ['localhost/counter-service:latest', 'localhost/external-service:latest'],
  );
  p.must(['rmi', ...loaded]);
  assert.equal(p.must(['images', '--all', '--noheading']).trim(), '', 'no image left');
  const dir = p.dir;
  assert.equal(p.cleanup(), []);
  pods = null;
  assert.equal(mountsUnder(dir), [], 'nothing mounted under the store');
  assert.equal(
    findProcesses((cmd) => cmd.includes(dir)),
    [],
    'no process of the store (conmon) left',
  );
  assert.equal(defaultPodmanState(), before, "the host's own podman images, containers, pods, volumes, cgroups");
});

test.after(async () => {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  if (child) killChild(child);
  if (upAttempted) {
    await attempt('down', async () => {
      const r = await orchestrator(['down'], 20_000);
      if (r.code !== 0) throw new Error(explain('down (cleanup)', r));
    });
  }
  if (stackAttempted) {
    await attempt('stack down', async () => {
      const r = await orchestrator(['down', 'stacks/demo.ts'], 20_000, STACK);
      if (r.code !== 0) throw new Error(explain('stack down (cleanup)', r));
    });
  }
  if (pods) {
    const p = pods;
    if (played) await attempt('podman kube down', () => p.must(['kube', 'down', played], 60_000));
    await attempt('podman store', () => {
      const left = p.cleanup();
      if (left.length) throw new Error(left.join('; '));
    });
  }
  await attempt('stop third', () => stop(THIRD, { root: ROOT, timeoutSeconds: 2, ignoreMissing: true }));
  await attempt('outside host', () => outside?.cleanup());
  if (sentinelAdded) await attempt('sentinel', () => sh(['iptables', '-w', '-D', ...SENTINEL_RULE]));
  await attempt('temp root', () => tmp.cleanup());
  for (const p of problems) process.stderr.write(`  cleanup: ${p}\n`);
  process.stderr.write(`  timings: ${timings.join(', ')}; whole file ${secs(Date.now() - T0)}\n`);
});

test.run();
