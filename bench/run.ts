/**
 * `just bench`: conductor against podman, runc and the raw kernel floor on this machine.
 * Writes BENCHMARKS.md and bench/charts/*.svg. Everything runs in one go (the machine drifts
 * 15–25 % over an hour, so ratios are only compared within one run) and is bounded by BUDGET_MS.
 *
 * State: a temporary CONDUCTOR_ROOT (mkdtemp) with the shared CONDUCTOR_CACHE (the debootstrap
 * base), podman images/containers named cbench-*, runc ids cbench-*; all removed at the end, also
 * on failure or Ctrl-C. Network traffic only to the host's own addresses and our containers.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmdline, hyperfine, interleaved, run, runOk, timedRuns, type RunResult } from './lib/proc.ts';
import { memOf, stat, sumMem, tree, allProcs, type Mem } from './lib/procfs.ts';
import { fmt, groupTable, verdictTable, type Group, type Row, type Verdict } from './lib/report.ts';
import { median, summarize, type Summary } from './lib/stats.ts';
import { barChart } from './lib/svg.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'dist', 'conductor.mjs');
const CHARTS = path.join(REPO, 'bench', 'charts');
const BUDGET_MS = 14 * 60_000;
const T0 = Date.now();
const left = () => BUDGET_MS - (Date.now() - T0);

const PODMAN_FLAGS = ['--runtime', 'runc', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'];
const PODMAN_IMAGE = 'localhost/cbench-bookworm:latest';
const PODMAN_BUILD_TAG = 'localhost/cbench-build:latest';
const IMG = 'cbench-tiny';
const PORT_HTTP = 3901;
const PORT_UP = 3902;
const PORT_NET = 3903;
const CONCURRENCY_N = [1, 10, 50, 100];

// ---------------------------------------------------------------- small helpers

const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(0).padStart(4)}s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function summaryOf(sample: number[]): Summary {
  return summarize(sample);
}

function single(v: number): Summary {
  return { median: v, p90: v, min: v, max: v, runs: 1 };
}

async function which(cmd: string): Promise<boolean> {
  return (await run(['sh', '-c', `command -v ${cmd}`])).code === 0;
}

/** Tools the harness needs → the Debian package that has them. */
const TOOLS: Record<string, string> = {
  podman: 'podman',
  runc: 'runc',
  crun: 'crun',
  wrk: 'wrk',
  hyperfine: 'hyperfine',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  strace: 'strace',
  ip: 'iproute2',
  curl: 'curl',
};

async function ensureTools(): Promise<void> {
  const missing = new Set<string>();
  for (const [cmd, pkg] of Object.entries(TOOLS)) if (!(await which(cmd))) missing.add(pkg);
  if (missing.size === 0) return;
  const pkgs = [...missing];
  log(`installing from Debian: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run(['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs], { env, timeoutMs: 300_000 });
  if (r.code !== 0) {
    await run(['apt-get', 'update'], { env, timeoutMs: 180_000 });
    r = await run(['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs], { env, timeoutMs: 300_000 });
  }
  if (r.code !== 0) throw new Error(`apt-get install ${pkgs.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
}

async function version(argv: string[], pick = (s: string) => s.split('\n')[0]!.trim()): Promise<string> {
  const r = await run(argv, { timeoutMs: 10_000 });
  // wrk -v prints its version and exits 1.
  return r.code === 127 || !(r.stdout || r.stderr).trim() ? `${argv[0]} not installed` : pick(r.stdout || r.stderr);
}

// ---------------------------------------------------------------- state and cleanup

const TOP = mkdtempSync(path.join(os.tmpdir(), 'conductor-bench-'));
const ROOT = path.join(TOP, 'root');
const FRESH = path.join(TOP, 'fresh');
const CTX = path.join(TOP, 'ctx');
const CACHE = process.env.CONDUCTOR_CACHE ? path.resolve(process.env.CONDUCTOR_CACHE) : path.join(REPO, '.cache');
const BASE = path.join(CACHE, 'base', 'debian-bookworm', 'rootfs');
/**
 * NODE_EXTRA_CA_CERTS makes Node 20 parse that whole PEM bundle at every start-up (~45 ms here),
 * before any of the CLI's code runs. Sandboxes set it for their TLS proxies; a stock machine does
 * not. The bench runs without it (BENCH_KEEP_NODE_EXTRA_CA_CERTS=1 keeps it) and shows the cost of
 * keeping it in extra rows, so both figures are in the report.
 */
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;
const KEEP_CA = process.env.BENCH_KEEP_NODE_EXTRA_CA_CERTS === '1';
if (EXTRA_CA && !KEEP_CA) delete process.env.NODE_EXTRA_CA_CERTS;
const ENV: NodeJS.ProcessEnv = { ...process.env, CONDUCTOR_ROOT: ROOT, CONDUCTOR_CACHE: CACHE, NO_COLOR: '1' };
delete ENV.CONDUCTOR_SUBNET;
/** ENV plus this environment's NODE_EXTRA_CA_CERTS, for the "as set here" rows. */
const ENV_CA: NodeJS.ProcessEnv | null = EXTRA_CA && !KEEP_CA ? { ...ENV, NODE_EXTRA_CA_CERTS: EXTRA_CA } : null;
const CA_LABEL = 'with NODE_EXTRA_CA_CERTS (as set in this environment)';

const conductor = (...args: string[]) => ['node', CLI, ...args];
const c = (...args: string[]) => runOk(conductor(...args), { env: ENV, timeoutMs: 120_000 });

const made = {
  podmanContainers: new Set<string>(),
  podmanImages: new Set<string>(),
  runcPrefix: 'cbench-',
  hostInterfaces: new Set<string>(),
};

let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    log('cleaning up');
    for (const root of [ROOT, FRESH]) {
      if (!existsSync(root)) continue;
      const env = { ...ENV, CONDUCTOR_ROOT: root };
      const ps = await run(conductor('ps', '-a', '--json'), { env, timeoutMs: 30_000 });
      let names: string[] = [];
      try {
        names = (JSON.parse(ps.stdout) as { name: string; hostInterface?: string | null }[]).map((x) => x.name);
      } catch {
        /* no containers */
      }
      if (names.length) {
        const r = await run(conductor('stop', '-t', '0', '--ignore', ...names), { env, timeoutMs: 180_000 });
        if (r.code !== 0) log(`conductor stop: ${r.stderr.trim()}`);
      }
    }
    for (const n of made.podmanContainers) await run(['podman', 'rm', '-f', '-t', '0', n], { timeoutMs: 60_000 });
    for (const t of [...made.podmanImages].reverse()) await run(['podman', 'rmi', '-f', t], { timeoutMs: 60_000 });
    const runcIds = (await run(['runc', 'list', '-q'], { timeoutMs: 10_000 })).stdout.split('\n').filter((id) => id.startsWith(made.runcPrefix));
    for (const id of runcIds) await run(['runc', 'delete', '-f', id], { timeoutMs: 10_000 });
    const links = (await run(['ip', '-o', 'link'])).stdout;
    for (const i of made.hostInterfaces) {
      if (new RegExp(`^\\d+: ${i}[@:]`, 'm').test(links)) {
        log(`removing leftover interface ${i}`);
        await run(['ip', 'link', 'del', i]);
      }
    }
    // Nothing of ours may stay mounted under TOP before it is removed.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => Boolean(m) && (m === TOP || m!.startsWith(TOP + '/')));
    for (const m of mounts.reverse()) await run(['umount', '-l', m]);
    await run(['rm', '-rf', '--one-file-system', TOP], { timeoutMs: 120_000 });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- groups

const groups: Group[] = [];
const verdicts: Verdict[] = [];
const extra: Record<string, string> = {};

function row(label: string, sample: number[], more: Partial<Row> = {}): Row {
  return { label, summary: summaryOf(sample), ...more };
}

/** Ratio column: the first conductor row's median over each row's. */
function withRatios(g: Group): void {
  const base = g.rows.find((r) => r.conductor);
  if (!base) return;
  for (const r of g.rows) if (!r.conductor) r.ratio = base.summary.median / r.summary.median;
}

async function group(g: Omit<Group, 'rows' | 'notes'> & { estimateMs: number }, body: (g: Group) => Promise<void>): Promise<Group> {
  const grp: Group = { ...g, rows: [], notes: [] };
  groups.push(grp);
  if (left() < g.estimateMs) {
    grp.error = `skipped: ${Math.round(left() / 1000)} s of the ${BUDGET_MS / 60_000}-minute budget left, needs ~${Math.round(g.estimateMs / 1000)} s`;
    log(`${g.id}: ${grp.error}`);
    return grp;
  }
  log(`${g.id}: ${g.title}`);
  const t = Date.now();
  try {
    await body(grp);
  } catch (e) {
    grp.error = (e as Error).message;
    log(`${g.id} failed: ${grp.error}`);
  }
  grp.notes.push(`Group wall time: ${((Date.now() - t) / 1000).toFixed(1)} s.`);
  return grp;
}

const hfTimeout = (ms: number) => Math.max(10_000, Math.min(ms, left()));

function verdict(v: Omit<Verdict, 'pass'> & { pass: boolean | null }): void {
  verdicts.push(v);
}

const ms = (v: number) => fmt(v, 'ms');
/** "(… with NODE_EXTRA_CA_CERTS)" for the targets table. */
const caNote = (sample: number[] | undefined) => (sample ? ` (${ms(median(sample))} with NODE_EXTRA_CA_CERTS)` : '');
const INTERLEAVED = 'The contenders ran interleaved (a few runs of each in turn, 4–5 rounds, warm-ups first) so that the machine\'s drifting load hits all of them alike.';
/** A command as shown in the report: temporary and repository paths shortened. */
const shown = (cmd: string) => cmd.replaceAll(BASE, 'R').replaceAll(CLI, 'dist/conductor.mjs').replaceAll(path.join(CTX, 'podman'), 'CTX').replaceAll(TOP, '$TMP').replaceAll(REPO + '/', '');

// ---------------------------------------------------------------- setup

async function setup(): Promise<{ hostIp: string }> {
  if (process.getuid?.() !== 0) throw new Error('the benchmarks need root (namespaces, mounts, iptables): run as root or with sudo');
  await ensureTools();
  log('building the CLI (scripts/build-cli.mjs)');
  const b = await run(['node', path.join(REPO, 'scripts', 'build-cli.mjs')], { cwd: REPO, timeoutMs: 120_000 });
  if (b.code !== 0 && !existsSync(CLI)) throw new Error(`building the CLI failed: ${b.stderr || b.stdout}`);
  if (b.code !== 0) log(`build-cli failed; benchmarking the existing dist/conductor.mjs: ${b.stderr.trim()}`);
  if (!existsSync(path.join(REPO, 'native', 'conductor-init'))) await runOk(['make', '-s', '-C', path.join(REPO, 'native')], { timeoutMs: 120_000 });

  mkdirSync(ROOT);
  mkdirSync(path.join(CTX, 'podman'), { recursive: true });
  writeFileSync(path.join(CTX, 'hello.txt'), 'hello from the bench\n');
  const steps = [
    'COPY hello.txt /opt/bench/hello.txt',
    'RUN echo one > /opt/bench/1',
    'RUN echo two > /opt/bench/2',
    'RUN cat /opt/bench/hello.txt /opt/bench/1 /opt/bench/2 > /opt/bench/all',
  ];
  writeFileSync(path.join(CTX, 'Conductorfile'), ['FROM debian:bookworm', ...steps, ''].join('\n'));
  writeFileSync(path.join(CTX, 'podman', 'hello.txt'), 'hello from the bench\n');
  writeFileSync(path.join(CTX, 'podman', 'Containerfile'), [`FROM ${PODMAN_IMAGE}`, ...steps, ''].join('\n'));

  // The tiny image first: it also fetches the base into the shared cache if it is missing (minutes).
  log(`building ${IMG} (a cold base takes minutes: debootstrap)`);
  await runOk(conductor('build', IMG, path.join(CTX, 'Conductorfile'), '--context', CTX, '-q'), { env: ENV, timeoutMs: 900_000 });
  if (!existsSync(BASE)) throw new Error(`the debootstrap base is not at ${BASE}`);

  log('building counter-service and external-service in the bench root, importing the base into podman');
  made.podmanImages.add(PODMAN_IMAGE);
  const t = Date.now();
  await Promise.all([
    runOk(conductor('build', 'counter-service', path.join(REPO, 'conductorfiles/counter-service.Conductorfile'), '--context', REPO, '-q'), { env: ENV, timeoutMs: 600_000 }),
    runOk(conductor('build', 'external-service', path.join(REPO, 'conductorfiles/external-service.Conductorfile'), '--context', REPO, '-q'), { env: ENV, timeoutMs: 600_000 }),
    runOk(['sh', '-c', `tar -C ${BASE} -c . | podman import - ${PODMAN_IMAGE}`], { timeoutMs: 300_000 }),
  ]);
  extra.setupImages = `${((Date.now() - t) / 1000).toFixed(0)} s`;
  await runOk(['podman', 'build', '-q', ...PODMAN_FLAGS, '--network', 'none', '-t', PODMAN_BUILD_TAG, path.join(CTX, 'podman')], { timeoutMs: 300_000 });
  made.podmanImages.add(PODMAN_BUILD_TAG);

  // The host's own address (for the published port): the source of its default route.
  const rg = await run(['ip', '-j', '-4', 'route', 'get', '192.0.2.1']);
  let hostIp = '';
  try {
    hostIp = (JSON.parse(rg.stdout) as { prefsrc?: string }[])[0]?.prefsrc ?? '';
  } catch {
    /* no route */
  }
  if (!hostIp) {
    const addrs = JSON.parse((await runOk(['ip', '-j', '-4', 'addr'])).stdout) as { ifname: string; addr_info: { local: string; scope: string }[] }[];
    hostIp = addrs.flatMap((a) => a.addr_info.filter((i) => i.scope === 'global').map((i) => i.local)).find((a) => !a.startsWith('10.177.')) ?? '127.0.0.1';
  }
  return { hostIp };
}

async function podmanRunDetached(name: string, image: string, argv: string[]): Promise<{ pid: number; conmon: number; id: string; upper: string }> {
  made.podmanContainers.add(name);
  await runOk(['podman', 'run', '-d', '--name', name, '--network', 'none', ...PODMAN_FLAGS, image, ...argv], { timeoutMs: 60_000 });
  const f = (await runOk(['podman', 'inspect', name, '--format', '{{.State.Pid}} {{.State.ConmonPid}} {{.Id}} {{.GraphDriver.Data.UpperDir}}'])).stdout.trim().split(' ');
  return { pid: Number(f[0]), conmon: Number(f[1]), id: f[2]!, upper: f[3]! };
}

async function inspectConductor(name: string): Promise<{ pid: number; ip: string | null; hostInterface: string | null }> {
  return JSON.parse((await c('inspect', name, '--json')).stdout) as { pid: number; ip: string | null; hostInterface: string | null };
}

/** conductor's long-lived processes for one detached container: the monitor's tree minus the container. */
/** The per-container processes: the monitor's process group, minus the container's own init. */
function monitorMem(initPid: number): { mem: Mem; comms: string[] } {
  const procs = allProcs();
  const init = stat(initPid);
  if (!init) throw new Error(`container init ${initPid} is gone`);
  const own = tree(init.pgid, new Set([initPid]), procs);
  return { mem: sumMem(own.map((p) => p.pid)), comms: own.map((p) => p.comm) };
}

async function duK(paths: string[]): Promise<number> {
  const r = await runOk(['du', '-skx', '-c', ...paths]);
  return Number(/^(\d+)\s+total$/m.exec(r.stdout)?.[1] ?? NaN);
}

// ---------------------------------------------------------------- the figures

async function main(): Promise<void> {
  const { hostIp } = await setup();
  const R = BASE;
  const scratch = path.join(TOP, 'scratch');
  mkdirSync(scratch);
  const shared: { nodeE0?: number[]; cachedBuild?: number[]; help?: number[] } = {};

  await group({ id: 'floors', title: 'Raw floors', unit: 'ms', estimateMs: 25_000 }, async (g) => {
    const overlayScript = [
      `D=$(mktemp -d ${scratch}/ov.XXXXXX)`,
      'mkdir $D/u $D/w $D/m',
      `mount -t overlay overlay -o lowerdir=${R},upperdir=$D/u,workdir=$D/w $D/m`,
      'mount -t proc proc $D/m/proc',
      'chroot $D/m /bin/true',
      'umount -R $D/m',
      'rm -rf $D',
    ].join('; ');
    const cmds: [string, string, number, NodeJS.ProcessEnv?][] = [
      ['/bin/true', '/bin/true', 30],
      ['node -e 0', 'node -e 0', 30],
      ...(ENV_CA ? [[`node -e 0, ${CA_LABEL}`, 'node -e 0', 30, ENV_CA] as [string, string, number, NodeJS.ProcessEnv]] : []),
      ['conductor --help (node + the CLI bundle)', cmdline(conductor('--help')), 30],
      ['unshare (5 namespaces) + chroot, /bin/true', `unshare --uts --pid --net --mount --ipc --fork --mount-proc=${R}/proc chroot ${R} /bin/true`, 30],
      ['the same + overlay mount, umount, rm', cmdline(['unshare', '--uts', '--pid', '--net', '--mount', '--ipc', '--fork', 'sh', '-c', overlayScript]), 30],
    ];
    for (const [label, mod] of [["node: import('globby')", 'globby/index.js'], ["node: import('zx/core')", 'zx/build/core.js']] as const) {
      const file = path.join(REPO, 'node_modules', mod);
      if (existsSync(file)) cmds.push([label, cmdline(['node', '--input-type=module', '-e', `await import(${JSON.stringify(file)})`]), 20]);
    }
    const times = await interleaved(cmds.map(([, command, runs, env]) => ({ command, runs, warmup: 3, env: env ?? ENV })), 5, hfTimeout(180_000));
    cmds.forEach(([label, cmd], k) => {
      const s = times[k]!;
      if (label === 'node -e 0') shared.nodeE0 = s;
      if (label.startsWith('conductor --help')) shared.help = s;
      g.rows.push(row(label, s, { command: shown(cmd) }));
    });
    g.notes.push(INTERLEAVED);
    g.notes.push('R = the debootstrap base rootfs (shared cache). Every extra process costs a few ms; Node\'s start-up is the floor of any Node CLI. The import rows are the cost of loading a module at all (compare with node -e 0).');
  });

  await group({ id: 'run', title: 'run → exit of /bin/true', unit: 'ms', estimateMs: 40_000, ratioHeader: 'conductor/this' }, async (g) => {
    const runc = path.join(TOP, 'runc-bundle');
    mkdirSync(runc);
    await runOk(['runc', 'spec', '--bundle', runc]);
    const cfgFile = path.join(runc, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as { root: unknown; process: { terminal: boolean; args: string[] } };
    cfg.root = { path: R, readonly: true };
    cfg.process.terminal = false;
    cfg.process.args = ['/bin/true'];
    writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));

    const cRun = cmdline(conductor('run', '--rm', IMG, 'cbench-run{i}', '--', '/bin/true'));
    const pRun = cmdline(['podman', 'run', '--rm', '--network', 'none', ...PODMAN_FLAGS, PODMAN_IMAGE, '/bin/true']);
    const rRun = cmdline(['runc', 'run', '-b', runc, 'cbench-runc{i}']);
    const u = `unshare --uts --pid --net --mount --ipc --fork --mount-proc=${R}/proc chroot ${R} /bin/true`;
    const [cs, ps, rs, us, ...rest] = await interleaved(
      [
        { command: cRun, runs: 30, scan: true, env: ENV },
        { command: pRun, runs: 20 },
        { command: rRun, runs: 30, scan: true },
        { command: u, runs: 30, warmup: 3 },
        ...(ENV_CA ? [{ command: cRun.replace('cbench-run{i}', 'cbench-runca{i}'), runs: 20, scan: true, env: ENV_CA }] : []),
      ],
      5,
      hfTimeout(240_000),
    );
    const cas = ENV_CA ? rest[0] : undefined;
    g.rows.push(row('conductor run --rm', cs!, { conductor: true, command: 'node dist/conductor.mjs run --rm cbench-tiny cbench-run{i} -- /bin/true' }));
    g.rows.push(row('podman run --rm --network none', ps!, { command: pRun }));
    g.rows.push(row('runc run (OCI bundle, same rootfs, read-only)', rs!, { command: 'runc run -b BUNDLE cbench-runc{i}' }));
    g.rows.push(row('raw unshare + chroot', us!, { command: shown(u) }));
    if (cas) g.rows.push(row(`conductor run --rm, ${CA_LABEL}`, cas, { note: '20 runs' }));
    withRatios(g);
    g.notes.push(INTERLEAVED);
    g.notes.push('Each conductor run gets a fresh container name (hyperfine `--parameter-scan`, one run per value, `-N`); the container gets its own overlay, cgroup, uts/pid/net/mount/ipc/cgroup namespaces and is removed on exit. podman uses the flags this machine needs (runc: crun 1.8.1 refuses the hybrid cgroup layout).');
    const cm = median(cs!);
    const pm = median(ps!);
    verdict({ group: 'run', figure: 'run → exit /bin/true', conductor: ms(cm) + caNote(cas), peer: `podman ${ms(pm)}`, ratio: `${(cm / pm).toFixed(2)}×${cas ? ` (${(median(cas) / pm).toFixed(2)}×)` : ''}`, target: '≤ 0.5× podman', pass: cm / pm <= 0.5 });
  });

  // One running container of each kind for exec, disk and memory.
  let cInit = 0;
  let podmanExec: Awaited<ReturnType<typeof podmanRunDetached>> | null = null;
  try {
    await c('run', '-d', IMG, 'cbench-exec', '--', 'sleep', 'infinity');
    cInit = (await inspectConductor('cbench-exec')).pid;
    podmanExec = await podmanRunDetached('cbench-pexec', PODMAN_IMAGE, ['sleep', 'infinity']);
  } catch (e) {
    log(`starting the long-running containers failed: ${(e as Error).message}`);
  }

  await group({ id: 'disk', title: 'Disk added per running container', unit: 'KiB', estimateMs: 5_000 }, async (g) => {
    if (!cInit || !podmanExec) throw new Error('the long-running containers did not start');
    const cdir = path.join(ROOT, '.containers', 'cbench-exec');
    const ck = await duK([cdir]);
    g.rows.push({ label: 'conductor: the container directory (upper, work, state, hosts, log)', command: 'du -skx $CONDUCTOR_ROOT/.containers/NAME', summary: single(ck), conductor: true });
    const graph = (await runOk(['podman', 'info', '--format', '{{.Store.GraphRoot}}'])).stdout.trim();
    const layer = path.dirname(podmanExec.upper);
    const pk = await duK([layer, path.join(graph, 'overlay-containers', podmanExec.id)]);
    g.rows.push({ label: 'podman: the container layer (diff, work, merged) + overlay-containers/ID', command: 'du -skx overlay/LAYER overlay-containers/ID', summary: single(pk) });
    const bk = await duK([R]);
    g.rows.push({ label: 'a cp -a copy of the rootfs (the seed’s way)', command: 'du -skx R', summary: single(bk) });
    withRatios(g);
    g.chartRows = (r) => !r.label.startsWith('a cp -a');
    g.notes.push(`Measured on idle containers running \`sleep infinity\`. The cp -a row (${fmt(bk / 1024, 'MiB')}) is left out of the chart: its bar would hide the other two.`);
    verdict({ group: 'disk', figure: 'disk per running container', conductor: fmt(ck, 'KiB'), peer: `podman ${fmt(pk, 'KiB')}; cp -a ${fmt(bk, 'KiB')}`, ratio: `${(ck / pk).toFixed(2)}× podman`, target: '≤ 100 KiB', pass: ck <= 100 });
  });

  await group({ id: 'exec', title: 'exec /bin/true into a running container', unit: 'ms', estimateMs: 30_000 }, async (g) => {
    if (!cInit || !podmanExec) throw new Error('the long-running containers did not start');
    const ce = cmdline(conductor('exec', 'cbench-exec', '--', '/bin/true'));
    const pe = cmdline(['podman', 'exec', 'cbench-pexec', '/bin/true']);
    const ne = `nsenter -t ${cInit} -a /bin/true`;
    const [cs, ps, ns, ...rest] = await interleaved(
      [
        { command: ce, runs: 30, warmup: 3, env: ENV },
        { command: pe, runs: 20 },
        { command: ne, runs: 30, warmup: 3 },
        ...(ENV_CA ? [{ command: ce, runs: 20, env: ENV_CA }] : []),
      ],
      5,
      hfTimeout(120_000),
    );
    const cas = ENV_CA ? rest[0] : undefined;
    g.rows.push(row('conductor exec', cs!, { conductor: true, command: 'node dist/conductor.mjs exec cbench-exec -- /bin/true' }));
    g.rows.push(row('podman exec', ps!, { command: pe }));
    g.rows.push(row('raw nsenter -a (into the conductor container)', ns!, { command: 'nsenter -t PID -a /bin/true' }));
    if (cas) g.rows.push(row(`conductor exec, ${CA_LABEL}`, cas, { note: '20 runs' }));
    withRatios(g);
    g.notes.push(INTERLEAVED);
    const cm = median(cs!);
    const pm = median(ps!);
    verdict({ group: 'exec', figure: 'exec /bin/true', conductor: ms(cm) + caNote(cas), peer: `podman ${ms(pm)}`, ratio: `${(cm / pm).toFixed(2)}×${cas ? ` (${(median(cas) / pm).toFixed(2)}×)` : ''}`, target: '≤ 0.5× podman', pass: cm / pm <= 0.5 });
  });

  await group({ id: 'memory', title: 'Memory of the long-lived per-container processes', unit: 'KiB', estimateMs: 5_000 }, async (g) => {
    if (!cInit || !podmanExec) throw new Error('the long-running containers did not start');
    const cm = monitorMem(cInit);
    const pm = memOf(podmanExec.conmon);
    g.rows.push({ label: `conductor: Pss of the monitor (${cm.comms.join(', ')})`, summary: single(cm.mem.pss), conductor: true });
    g.rows.push({ label: 'podman: Pss of conmon', summary: single(pm.pss) });
    g.rows.push({ label: 'conductor: RSS of the monitor', summary: single(cm.mem.rss), conductor: true });
    g.rows.push({ label: 'podman: RSS of conmon', summary: single(pm.rss) });
    g.rows[1]!.ratio = cm.mem.pss / pm.pss;
    g.rows[3]!.ratio = cm.mem.rss / pm.rss;
    g.ratioHeader = 'conductor/this (Pss/Pss, RSS/RSS)';
    g.notes.push(
      'Pss (from /proc/PID/smaps_rollup) splits shared pages among the processes mapping them, so it is the memory one more container really costs; RSS counts every shared library page again for each process. The container\'s own command (`sleep`) is not counted on either side.',
    );
    verdict({ group: 'memory', figure: 'memory per container (Pss)', conductor: fmt(cm.mem.pss, 'KiB'), peer: `conmon ${fmt(pm.pss, 'KiB')}`, ratio: `${(cm.mem.pss / pm.pss).toFixed(2)}×`, target: '≤ podman', pass: cm.mem.pss <= pm.pss });
  });
  const memGroup = groups[groups.length - 1]!;

  await group({ id: 'rebuild', title: 'Unchanged rebuild of a 5-step Conductorfile', unit: 'ms', estimateMs: 30_000 }, async (g) => {
    const cb = cmdline(conductor('build', IMG, path.join(CTX, 'Conductorfile'), '--context', CTX, '-q'));
    const pb = cmdline(['podman', 'build', '-q', ...PODMAN_FLAGS, '--network', 'none', '-t', PODMAN_BUILD_TAG, path.join(CTX, 'podman')]);
    const [cs, ps] = await interleaved(
      [
        { command: cb, runs: 20, env: ENV },
        { command: pb, runs: 20 },
      ],
      4,
      hfTimeout(120_000),
    );
    shared.cachedBuild = cs!;
    g.rows.push(row('conductor build (all 4 steps cached)', cs!, { conductor: true, command: 'node dist/conductor.mjs build cbench-tiny Conductorfile --context CTX -q' }));
    g.rows.push(row('podman build (cached)', ps!, { command: shown(pb) }));
    withRatios(g);
    g.notes.push(INTERLEAVED);
    g.notes.push('The file: `FROM debian:bookworm` (podman: `FROM localhost/cbench-bookworm`, the same rootfs), `COPY hello.txt`, three `RUN`s writing tiny files. No network.');
    const cm = median(cs!);
    const pm = median(ps!);
    verdict({ group: 'rebuild', figure: 'unchanged rebuild, 5 steps', conductor: ms(cm), peer: `podman ${ms(pm)}`, ratio: `${(cm / pm).toFixed(2)}×`, target: '≤ 1.0× podman', pass: cm / pm <= 1.0 });
  });

  await group({ id: 'build', title: 'Build: cold (fresh root, cached base) and fully cached', unit: 'ms', estimateMs: 25_000 }, async (g) => {
    const prep = path.join(TOP, 'prep-fresh.sh');
    writeFileSync(prep, `rm -rf ${FRESH}\n`);
    const cb = cmdline(conductor('build', IMG, path.join(CTX, 'Conductorfile'), '--context', CTX, '-q'));
    const cold = await hyperfine(cb, { runs: 10, warmup: 1, prepare: `sh ${prep}`, env: { ...ENV, CONDUCTOR_ROOT: FRESH }, timeoutMs: hfTimeout(120_000) });
    g.rows.push(row('conductor build, cold (fresh CONDUCTOR_ROOT, cached base)', cold, { conductor: true, note: '10 runs: each runs 3 RUN containers and a COPY' }));
    if (shared.cachedBuild) g.rows.push(row('conductor build, fully cached', shared.cachedBuild, { conductor: true }));
    if (shared.nodeE0) g.rows.push(row('node -e 0 (floor)', shared.nodeE0));
    g.target = { value: 1000, label: 'cached < 1 s' };
    const cm = shared.cachedBuild ? median(shared.cachedBuild) : NaN;
    verdict({ group: 'build', figure: 'build fully cached / cold', conductor: `${ms(cm)} / ${ms(median(cold))}`, peer: '—', ratio: '—', target: 'cached < 1 s', pass: shared.cachedBuild ? cm < 1000 : null });
  });

  await group({ id: 'concurrency', title: 'Start time of the Nth concurrent container', unit: 'ms', estimateMs: 90_000, ratioHeader: 'this/N=1' }, async (g) => {
    const probe = conductor('run', '-d', IMG, 'cbench-probe', '--', 'sleep', 'infinity');
    const stopProbe = async () => {
      await run(conductor('stop', '-t', '0', '--ignore', 'cbench-probe'), { env: ENV, timeoutMs: 60_000 });
    };
    let running = 0;
    let serial = 0;
    const fillers: string[] = [];
    const failures: string[] = [];
    const samples: [number, number[]][] = [];
    for (const n of CONCURRENCY_N) {
      while (running < n - 1) {
        const batch: string[] = [];
        for (let k = 0; k < 10 && running + batch.length < n - 1; k++) batch.push(`cbench-f${++serial}`);
        const rs = await Promise.all(batch.map((name) => run(conductor('run', '-d', IMG, name, '--', 'sleep', 'infinity'), { env: ENV, timeoutMs: 30_000 })));
        fillers.push(...batch);
        rs.forEach((r: RunResult, k) => {
          if (r.code === 0) running++;
          else failures.push(`filler ${batch[k]} (${running} running): ${r.code === 124 ? 'hung, killed after 30 s' : `exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`}`);
        });
        if (failures.length > 5) throw new Error(`too many failed starts: ${failures.join('; ')}`);
      }
      const t = await timedRuns(probe, { runs: 20, warmup: 1, prepare: stopProbe, env: ENV, timeoutMs: 30_000 });
      await stopProbe();
      failures.push(...t.failures.map((f) => `probe at N = ${n}: ${f}`));
      samples.push([n, t.times]);
      g.rows.push(row(`N = ${n} (${n - 1} already running)`, t.times, { conductor: n === 1, ...(t.failures.length ? { note: `${t.failures.length} failed/hung run(s) left out` } : {}) }));
      if (n === CONCURRENCY_N[CONCURRENCY_N.length - 1]) {
        // Memory per container with many running: the shared pages are spread thinner.
        const ps = await run(conductor('ps', '--json'), { env: ENV });
        const live = (JSON.parse(ps.stdout) as { name: string; pid: number | null }[]).filter((x) => x.pid);
        const per = live.map((x) => {
          try {
            return monitorMem(x.pid!).mem.pss;
          } catch {
            return NaN; // it ended meanwhile
          }
        });
        extra.pssAt100 = String(median(per.filter(Number.isFinite)));
      }
    }
    if (failures.length) g.notes.push(`**Failed or hung starts** (each killed after 30 s; the container is cleaned up by \`stop\`): ${failures.join('; ')}.`);
    log(`stopping ${fillers.length} filler containers`);
    const t = Date.now();
    const st = await run(conductor('stop', '-t', '0', '--ignore', ...fillers), { env: ENV, timeoutMs: 300_000 });
    if (st.code !== 0) g.notes.push(`stopping the fillers: exit ${st.code}: ${st.stderr.trim()}`);
    g.notes.push(`Containers started in parallel batches of 10 CLI calls (untimed); then the start that brings the count to N is timed 20 times (from Node: spawn → exit, 30 s timeout per run), the probe being stopped (untimed) between runs. Stopping the ${fillers.length} fillers with one \`stop -t 0\` took ${((Date.now() - t) / 1000).toFixed(1)} s.`);
    const base = g.rows[0]!.summary.median;
    for (const r of g.rows) if (!r.conductor) r.ratio = r.summary.median / base;
    const last = samples[samples.length - 1]!;
    const ratio = median(last[1]) / base;
    verdict({ group: 'concurrency', figure: `start of the ${last[0]}th container`, conductor: ms(median(last[1])), peer: `N = 1: ${ms(base)}`, ratio: `${ratio.toFixed(2)}×`, target: '≤ 1.2× N = 1', pass: ratio <= 1.2 });
  });

  // The memory group may now add the per-container figure measured with 100 running.
  if (extra.pssAt100 && !memGroup.error) {
    memGroup.rows.push({ label: 'conductor: Pss per container with 100 running (median)', summary: single(Number(extra.pssAt100)), conductor: true });
  }

  await group({ id: 'addnetwork', title: 'addnetwork -i -e (veth, address, NAT, published port)', unit: 'ms', estimateMs: 30_000 }, async (g) => {
    const prep = path.join(TOP, 'prep-net.sh');
    writeFileSync(prep, [`${cmdline(conductor('stop', '-t', '0', '--ignore', 'cbench-net'))} >/dev/null`, `${cmdline(conductor('run', '-d', IMG, 'cbench-net', '--', 'sleep', 'infinity'))} >/dev/null`, ''].join('\n'));
    const an = cmdline(conductor('addnetwork', 'cbench-net', '-i', '-e', `8080-${PORT_NET}`));
    const s = await hyperfine(an, { runs: 20, warmup: 1, prepare: `sh ${prep}`, env: ENV, timeoutMs: hfTimeout(120_000) });
    const info = await inspectConductor('cbench-net');
    if (info.hostInterface) made.hostInterfaces.add(info.hostInterface);
    await c('stop', '-t', '0', 'cbench-net');
    g.rows.push(row('conductor addnetwork -i -e 8080-3903', s, { conductor: true, command: 'node dist/conductor.mjs addnetwork cbench-net -i -e 8080-3903' }));
    if (shared.help) g.rows.push(row('conductor --help (node + the CLI bundle)', shared.help));
    g.target = { value: 300, label: '300 ms' };
    g.notes.push('A fresh detached container before each run (hyperfine --prepare, untimed). `-i` adds NAT to the host\'s default route (no traffic is sent), `-e` a DNAT\'d host port.');
    const m = median(s);
    verdict({ group: 'addnetwork', figure: 'addnetwork -i -e', conductor: ms(m), peer: '—', ratio: '—', target: '≤ 300 ms', pass: m <= 300 });
  });

  await group({ id: 'http', title: 'HTTP through the published port vs the veth directly', unit: 'req/s', higherIsBetter: true, estimateMs: 75_000, ratioHeader: 'this/direct' }, async (g) => {
    await c('run', '-d', 'counter-service', 'cbench-http', '--', 'sleep', 'infinity');
    await c('addnetwork', 'cbench-http', '-e', `8080-${PORT_HTTP}`);
    const info = await inspectConductor('cbench-http');
    if (info.hostInterface) made.hostInterfaces.add(info.hostInterface);
    await c('exec', '-d', 'cbench-http', '--', '/opt/counter-service/counter-service', '8080');
    const direct = `http://${info.ip}:8080/get_and_increment_counter`;
    const published = `http://${hostIp}:${PORT_HTTP}/get_and_increment_counter`;
    for (let i = 0; ; i++) {
      const r = await run(['curl', '-sf', '-m', '1', direct]);
      if (r.code === 0) break;
      if (i > 50) throw new Error('the counter service did not answer within 5 s');
      await sleep(100);
    }
    await runOk(['curl', '-sf', '-m', '2', published]);
    const wrk = async (url: string) => {
      const r = await runOk(['wrk', '-c32', '-t2', '-d5s', url], { timeoutMs: 20_000 });
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
      const errs = /Socket errors:.*|Non-2xx.*/.exec(r.stdout)?.[0];
      if (errs) g.notes.push(`wrk ${url}: ${errs.trim()}`);
      return rps;
    };
    const d: number[] = [];
    const p: number[] = [];
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        d.push(await wrk(direct));
        p.push(await wrk(published));
      } else {
        p.push(await wrk(published));
        d.push(await wrk(direct));
      }
    }
    await c('stop', '-t', '0', 'cbench-http');
    // Each round's two runs are back to back: their ratio cancels the slow drift of the machine.
    const pairs = p.map((x, k) => x / d[k]!);
    const ratio = median(pairs);
    g.rows.push(row('direct: container IP over the veth', d, { note: `${rounds} runs of 5 s (slow figure)`, command: `wrk -c32 -t2 -d5s http://CONTAINER_IP:8080/get_and_increment_counter` }));
    g.rows.push(row(`published: host address ${hostIp}:${PORT_HTTP} (DNAT + SNAT)`, p, { conductor: true, command: `wrk -c32 -t2 -d5s http://HOST_IP:${PORT_HTTP}/get_and_increment_counter` }));
    g.rows[1]!.ratio = ratio;
    g.notes.push(
      `The C counter-service from conductorfiles/counter-service.Conductorfile, built in the bench root. ${rounds} rounds of 5 s each, alternating which path goes first; wrk runs on the host (2 cores shared with the server, so the NAT's per-packet work comes straight out of the throughput). ` +
        `The ratio is the median of the per-round ratios published/direct (${pairs.map((x) => x.toFixed(2)).join(', ')}), which cancels the machine's drift; the ratio of the medians is ${(median(p) / median(d)).toFixed(2)}.`,
    );
    verdict({ group: 'http', figure: 'HTTP published port / veth', conductor: fmt(median(p), 'req/s'), peer: `direct ${fmt(median(d), 'req/s')}`, ratio: `${ratio.toFixed(2)}×`, target: '≥ 0.9× direct', pass: ratio >= 0.9 });
  });

  await group({ id: 'up', title: '`just up` warm (images cached, containers gone) and `just down`', unit: 'ms', estimateMs: 60_000 }, async (g) => {
    const env = { ...ENV, ES_NAME: 'cbench-es', CS_NAME: 'cbench-cs', HOST_PORT: String(PORT_UP) };
    const orch = ['npx', 'tsx', 'scripts/service-orchestrator.ts'];
    await run([...orch, 'down'], { env, cwd: REPO, timeoutMs: 60_000 });
    const ups: number[] = [];
    const downs: number[] = [];
    const runs = 5;
    for (let i = 0; i < runs && left() > 30_000; i++) {
      const u = await run(orch, { env, cwd: REPO, timeoutMs: 90_000 });
      if (u.code !== 0) throw new Error(`just up failed (${u.code}): ${u.stderr.trim().split('\n').slice(-3).join(' / ')}`);
      for (const n of ['cbench-es', 'cbench-cs']) {
        const info = await inspectConductor(n).catch(() => null);
        if (info?.hostInterface) made.hostInterfaces.add(info.hostInterface);
      }
      ups.push(u.ms);
      const d = await run([...orch, 'down'], { env, cwd: REPO, timeoutMs: 90_000 });
      if (d.code !== 0) throw new Error(`just down failed (${d.code}): ${d.stderr.trim()}`);
      downs.push(d.ms);
    }
    g.rows.push(row('up: npx tsx scripts/service-orchestrator.ts', ups, { conductor: true, note: `${ups.length} runs (slow figure), timed from Node's spawn to exit` }));
    g.rows.push(row('down: npx tsx scripts/service-orchestrator.ts down', downs, { conductor: true }));
    g.target = { value: 5000, label: '5 s' };
    g.notes.push(`Containers cbench-es/cbench-cs on host port ${PORT_UP} in the bench root; both images already built there. "up" includes the two cached builds, two runs, two networks, peering, starting both services and waiting until http://localhost:${PORT_UP}/ answers.`);
    const m = median(ups);
    verdict({ group: 'up', figure: '`just up` warm', conductor: ms(m), peer: `down ${ms(median(downs))}`, ratio: '—', target: '≤ 5 s', pass: m <= 5000 });
  });

  await group({ id: 'chain', title: 'The demo under load: host port → external service → counter service', unit: 'req/s', higherIsBetter: true, estimateMs: 45_000 }, async (g) => {
    const env = { ...ENV, ES_NAME: 'cbench-es', CS_NAME: 'cbench-cs', HOST_PORT: String(PORT_UP) };
    const orch = ['npx', 'tsx', 'scripts/service-orchestrator.ts'];
    const u = await run(orch, { env, cwd: REPO, timeoutMs: 90_000 });
    if (u.code !== 0) throw new Error(`just up failed (${u.code}): ${u.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    try {
      const cs = await inspectConductor('cbench-cs');
      for (const n of ['cbench-es', 'cbench-cs']) {
        const info = await inspectConductor(n).catch(() => null);
        if (info?.hostInterface) made.hostInterfaces.add(info.hostInterface);
      }
      const wrk16 = async (url: string) => {
        const r = await runOk(['wrk', '-c16', '-t2', '-d10s', '--latency', url], { timeoutMs: 30_000 });
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
        const p99 = /^\s*99%\s+(\S+)/m.exec(r.stdout)?.[1] ?? '?';
        const errs = /Socket errors:.*|Non-2xx.*/.exec(r.stdout)?.[0];
        return { rps, p99, errs };
      };
      const chain = await wrk16(`http://${hostIp}:${PORT_UP}/`);
      const counter = await wrk16(`http://${cs.ip}:8080/get_and_increment_counter`);
      g.rows.push(row(`whole chain: http://HOST_IP:${PORT_UP}/ (p99 ${chain.p99})`, [chain.rps], { conductor: true, command: `wrk -c16 -t2 -d10s --latency http://HOST_IP:${PORT_UP}/` }));
      g.rows.push(row(`counter service alone over its veth (p99 ${counter.p99})`, [counter.rps], { command: 'wrk -c16 -t2 -d10s --latency http://CS_IP:8080/get_and_increment_counter' }));
      for (const [what, r] of [['chain', chain], ['counter', counter]] as const) if (r.errs) g.notes.push(`wrk (${what}): ${r.errs.trim()}`);
      g.notes.push('One 10 s wrk run each, 16 connections, on the host (2 cores shared with the servers). Every chain request is a gunicorn request (2 workers × 4 threads) making a fresh HTTP call to the counter service, so the chain is bound by Python, not by the network path.');
      extra.chain = `${fmt(chain.rps, 'req/s')}, p99 ${chain.p99}; counter alone ${fmt(counter.rps, 'req/s')}, p99 ${counter.p99}`;
    } finally {
      await run([...orch, 'down'], { env, cwd: REPO, timeoutMs: 60_000 });
    }
  });

  await group({ id: 'profile', title: 'Where the time goes (strace timelines)', unit: 'ms', estimateMs: 30_000 }, async (g) => {
    await profile(g, { what: 'run', argv: (i) => conductor('run', '--rm', IMG, `cbench-prof${i}`, '--', '/bin/true'), marker: '/bin/true' });
    if (cInit) await profile(g, { what: 'exec', argv: () => conductor('exec', 'cbench-exec', '--', '/bin/true'), marker: '/bin/true' });
    await profile(g, {
      what: 'addnetwork',
      argv: () => conductor('addnetwork', 'cbench-prof', '-i', '-e', `8080-${PORT_NET}`),
      prepare: async () => {
        await run(conductor('stop', '-t', '0', '--ignore', 'cbench-prof'), { env: ENV, timeoutMs: 30_000 });
        await c('run', '-d', IMG, 'cbench-prof', '--', 'sleep', 'infinity');
      },
    });
    await run(conductor('stop', '-t', '0', '--ignore', 'cbench-prof'), { env: ENV, timeoutMs: 30_000 });
    await profile(g, { what: 'build (cached)', argv: () => conductor('build', IMG, path.join(CTX, 'Conductorfile'), '--context', CTX, '-q') });
    g.notes.push(
      'From `strace --seccomp-bpf -f -ttt -e trace=execve,exit_group` (only those two syscalls stop, so the overhead is small), 7 runs each, medians; the packages from one more run under `strace -e trace=openat`. Compare the first phase with `node -e 0` and `conductor --help` in [the floors](#floors), and the import rows there for what a package costs.',
    );
  });
}

/** The node_modules packages a CLI call loads (one run under `strace -e openat`). */
async function packagesLoaded(argv: string[]): Promise<string[]> {
  const out = path.join(TOP, 'strace-openat.txt');
  await run(['strace', '-f', '-e', 'trace=openat', '-o', out, ...argv], { env: ENV, timeoutMs: 30_000 });
  const pk = new Set<string>();
  for (const m of readFileSync(out, 'utf8').matchAll(/node_modules\/((?:@[^/"]+\/)?[^/"]+)\//g)) pk.add(m[1]!);
  return [...pk].sort();
}

interface ProfileSpec {
  what: string;
  argv: (i: number) => string[];
  /** Untimed, before each traced run. */
  prepare?: () => Promise<void>;
  /** The container's command: splits "helpers" from "the command and teardown". */
  marker?: string;
}

/**
 * Phases of one CLI call from its exec timeline (7 runs, medians): until the first child process,
 * the child processes, and what follows the last of them.
 */
async function profile(g: Group, spec: ProfileSpec): Promise<void> {
  const phases: Record<string, number[]> = {};
  const childCounts: number[] = [];
  let childNames = '';
  const push = (k: string, v: number) => (phases[k] ??= []).push(v);
  for (let i = 0; i < 7; i++) {
    await spec.prepare?.();
    const out = path.join(TOP, `strace-${spec.what}-${i}.txt`);
    await runOk(['strace', '--seccomp-bpf', '-f', '-ttt', '-e', 'trace=execve,exit_group', '-o', out, ...spec.argv(i)], { env: ENV, timeoutMs: 30_000 });
    const ev = readFileSync(out, 'utf8')
      .split('\n')
      .map((l) => /^(\d+)\s+([\d.]+)\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), t: Number(m[2]) * 1000, text: m[3]! }));
    // An execve that strace split into "<unfinished ...>" and "<... execve resumed>" succeeded if the resumed half says so.
    const succeeded = (k: number) => {
      const e = ev[k]!;
      if (!e.text.includes('<unfinished')) return !/= -1 /.test(e.text);
      const rest = ev.slice(k + 1).find((x) => x.pid === e.pid && x.text.includes('execve resumed'));
      return rest !== undefined && !/= -1 /.test(rest.text);
    };
    const execs = ev
      .map((e, k) => ({ ...e, k }))
      .filter((e) => e.text.startsWith('execve(') && succeeded(e.k))
      .map((e) => ({ ...e, bin: /^execve\("([^"]+)"/.exec(e.text)?.[1] ?? '?' }));
    if (execs.length === 0) continue;
    const t0 = ev[0]!.t;
    const end = ev[ev.length - 1]!.t;
    push('total (under strace)', end - t0);
    const children = execs.slice(1);
    const first = children[0];
    if (!first) {
      push('node only: no child processes', end - t0);
      childCounts.push(0);
      continue;
    }
    push('node start + module load + SDK work until the first child process', first.t - t0);
    const label = (bin: string) => (bin.startsWith('/proc/self/fd/') ? 'conductor-init' : path.basename(bin));
    const cmdIdx = spec.marker ? children.findIndex((e) => e.bin === spec.marker || e.bin === `/usr${spec.marker}`) : -1;
    if (cmdIdx >= 0) {
      const helpers = children.slice(0, cmdIdx);
      childCounts.push(helpers.length);
      childNames = helpers.map((h) => label(h.bin)).join(' → ');
      push(`helper processes until the command's execve`, children[cmdIdx]!.t - first.t);
      push('the command, teardown and node exit', end - children[cmdIdx]!.t);
    } else {
      const pids = new Set(children.map((e) => e.pid));
      const lastExit = ev.filter((e) => pids.has(e.pid) && e.text.startsWith('+++ exited')).reduce((m, e) => Math.max(m, e.t), first.t);
      childCounts.push(children.length);
      childNames = children.map((h) => label(h.bin)).join(' → ');
      push('child processes (first spawn → last exit)', lastExit - first.t);
      push('node work after the last child and exit', end - lastExit);
    }
  }
  const order = (k: string) => (k.startsWith('total') ? 9 : 0);
  for (const [k, v] of Object.entries(phases).sort((x, y) => order(x[0]) - order(y[0]))) g.rows.push(row(`${spec.what}: ${k}`, v, { conductor: k.startsWith('total') }));
  await spec.prepare?.();
  const pk = await packagesLoaded(spec.argv(99)).catch(() => [] as string[]);
  g.notes.push(
    `**${spec.what}**: ${median(childCounts)} ${spec.marker ? 'helper ' : 'child '}processes${childNames ? `: ${childNames}` : ''}. ` +
      `Packages loaded from node_modules: ${pk.length ? pk.join(', ') : 'none'}.`,
  );
}

// ---------------------------------------------------------------- report

async function machine(): Promise<string[]> {
  const cpu = os.cpus();
  const cg = existsSync('/sys/fs/cgroup/unified') ? 'hybrid (v1 + v2 unified)' : existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1';
  return [
    `- CPU: ${cpu.length} × ${cpu[0]?.model.trim() ?? '?'}; memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `- kernel ${os.release()} (${os.arch()}), cgroups ${cg}; ${readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)/m)?.[1] ?? 'Linux'}`,
    `- node ${process.version}; ${await version(['podman', '--version'])}; ${await version(['runc', '--version'])}; ${await version(['crun', '--version'])}; ${await version(['unshare', '--version'], (s) => s.trim().replace(/^unshare from /, ''))}`,
    `- ${await version(['hyperfine', '--version'])}; ${await version(['wrk', '-v'], (s) => s.split('\n')[0]!.replace(/ Copyright.*/, ''))}; ${await version(['iptables', '--version'])}`,
  ];
}

function renderCharts(): void {
  mkdirSync(CHARTS, { recursive: true });
  for (const f of readdirSync(CHARTS)) if (f.endsWith('.svg')) rmSync(path.join(CHARTS, f));
  for (const g of groups) {
    const rows = g.rows.filter(g.chartRows ?? (() => true));
    if (g.error || rows.length === 0) continue;
    const file = path.join(CHARTS, `${g.id}.svg`);
    writeFileSync(
      file,
      barChart({
        title: g.title.replace(/`/g, ''),
        unit: g.unit,
        note: `${g.higherIsBetter ? 'higher' : 'lower'} is better · ${rows.some((r) => r.summary.runs > 1) ? 'bar: median · whisker: min–max, tick: p90' : 'one measurement each'}`,
        bars: rows.map((r) => ({
          label: r.label.length > 64 ? `${r.label.slice(0, 61)}...` : r.label,
          value: r.summary.median,
          ...(r.summary.runs > 1 ? { min: r.summary.min, max: r.summary.max, p90: r.summary.p90 } : {}),
          accent: r.conductor,
        })),
        target: g.target,
      }),
    );
    g.chart = path.relative(REPO, file);
  }
}

async function writeReport(failure: string | null): Promise<void> {
  renderCharts();
  const when = new Date();
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Generated by \`just bench\` (\`tsx bench/run.ts\`) on ${when.toISOString().replace('T', ' ').slice(0, 16)} UTC in ${((Date.now() - T0) / 1000).toFixed(0)} s` +
      `${extra.setupImages ? ` (of which ${extra.setupImages} building the demo images in the bench root and importing the base into podman)` : ''}. ` +
      'Whole-process wall times from hyperfine `-N` (no shell in between); all figures from this one run, since the machine drifts 15–25 % over an hour. Re-run it for your machine.',
    '',
    ...(await machine()),
    '',
  ];
  if (failure) lines.push(`**The run stopped early:** ${failure}`, '');
  lines.push('## Targets', '', verdictTable(verdicts), '');
  const missed = verdicts.filter((v) => v.pass === false);
  if (missed.length) lines.push(`Missed: ${missed.map((v) => v.figure).join('; ')}. See [where the time goes](#profile).`, '');
  for (const g of groups) {
    lines.push(`<a id="${g.id}"></a>`, '', `## ${g.title}`, '');
    if (g.error) lines.push(`Not measured: ${g.error}`, '');
    if (g.chart) lines.push(`![${g.title.replace(/`/g, '')}](${g.chart})`, '');
    if (g.rows.length) lines.push(groupTable(g), '');
    for (const n of g.notes) lines.push(n, '');
  }
  lines.push(
    '## Method',
    '',
    '- State: a temporary `CONDUCTOR_ROOT` (mkdtemp under /tmp) with `CONDUCTOR_CACHE` the repository\'s `.cache` (the debootstrap base is shared, not rebuilt). podman gets the same rootfs through `podman import` as `localhost/cbench-bookworm`.',
    '- Cleanup: every conductor container of the bench roots is stopped (which undoes its veths, routes and iptables rules), podman containers and the `cbench` image tags removed, runc ids `cbench-*` deleted, the temporary root removed.',
    '- Network traffic: only to the host\'s own address, loopback and the bench\'s containers.',
    EXTRA_CA && !KEEP_CA
      ? `- \`NODE_EXTRA_CA_CERTS\` (set to \`${EXTRA_CA}\` in the environment that ran this) is removed for everything the bench runs: Node 20 parses that whole bundle at every start-up, before any of conductor\'s code (see the floors: \`node -e 0\` with and without it). A stock machine does not set it; the run and exec tables keep one conductor row with it, and the targets table shows that figure in parentheses. \`BENCH_KEEP_NODE_EXTRA_CA_CERTS=1 just bench\` keeps it everywhere.`
      : EXTRA_CA
        ? `- \`NODE_EXTRA_CA_CERTS\` is kept (BENCH_KEEP_NODE_EXTRA_CA_CERTS=1): every Node start-up parses \`${EXTRA_CA}\`.`
        : '- `NODE_EXTRA_CA_CERTS` was not set.',
    '- Ratios in the tables: conductor\'s median over the row\'s median (the concurrency table: the row over N = 1; HTTP: published over direct).',
    '',
  );
  writeFileSync(path.join(REPO, 'BENCHMARKS.md'), lines.join('\n'));
  log(`wrote BENCHMARKS.md and ${groups.filter((g) => g.chart).length} charts under bench/charts/`);
}

let failure: string | null = null;
try {
  await main();
} catch (e) {
  failure = (e as Error).message;
  log(`failed: ${failure}`);
} finally {
  await cleanup();
}
await writeReport(failure);
log(`done in ${((Date.now() - T0) / 1000).toFixed(0)} s`);
process.exitCode = failure ? 1 : 0;
