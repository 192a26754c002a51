/**
 * `just bench [GROUP...]`: conductor against podman, runc and the raw kernel floor on this machine.
 * The harness: the budget, the setup, the cleanup, running each group (bench/groups/<id>.ts, in the
 * order of bench/groups/index.ts), the verdicts and the report. A full run writes BENCHMARKS.md and
 * bench/charts/*.svg; naming groups runs only those (with the setup they need) and writes
 * bench/last-run.md and bench/last-run/*.svg instead, so BENCHMARKS.md keeps one whole run. Everything
 * runs in one go (the machine drifts 15–25 % over an hour, so ratios are only compared within one run)
 * and is bounded by BUDGET_MS.
 *
 * State: a temporary CONDUCTOR_ROOT (mkdtemp) with the shared CONDUCTOR_CACHE (the debootstrap
 * base), podman images/containers named cbench-*, runc ids cbench-*; all removed at the end, also
 * on failure or Ctrl-C. Network traffic only to the host's own addresses and our containers.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GROUPS } from './groups/index.ts';
import { cleaner } from './lib/cleanup.ts';
import type { BenchContext, ConductorInfo, GroupDef } from './lib/context.ts';
import { runOk } from './lib/proc.ts';
import { monitorMem } from './lib/procfs.ts';
import { fmt, type Group, type Verdict } from './lib/report.ts';
import { needsOf, selectGroups } from './lib/select.ts';
import { setup, startLongRunning, type SetupResult } from './lib/setup.ts';
import { median, summarize } from './lib/stats.ts';
import { writeReport } from './lib/write-report.ts';

const selection = selectGroups(process.argv.slice(2), GROUPS);
if (selection.kind === 'help') {
  process.stdout.write(`${selection.text}\n`);
  process.exit(0);
}
if (selection.kind === 'error') {
  process.stderr.write(`${selection.message}\n`);
  process.exit(2);
}
const SELECTED = selection.groups;
const NEEDS = needsOf(SELECTED);

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'dist', 'conductor.cjs');
const BUDGET_MS = 14 * 60_000;
const T0 = Date.now();
const left = () => BUDGET_MS - (Date.now() - T0);
const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(0).padStart(4)}s] ${s}\n`);

const TOP = mkdtempSync(path.join(os.tmpdir(), 'conductor-bench-'));
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
const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  CONDUCTOR_ROOT: path.join(TOP, 'root'),
  CONDUCTOR_CACHE: CACHE,
  NO_COLOR: '1',
};
delete ENV.CONDUCTOR_SUBNET;

const groups: Group[] = [];
const verdicts: Verdict[] = [];
const conductor = (...args: string[]) => ['node', CLI, ...args];
const c = (...args: string[]) => runOk(conductor(...args), { env: ENV, timeoutMs: 120_000 });
const ms = (v: number) => fmt(v, 'ms');

const ctx: BenchContext = {
  repo: REPO,
  cli: CLI,
  base: BASE,
  top: TOP,
  root: path.join(TOP, 'root'),
  fresh: path.join(TOP, 'fresh'),
  ctxDir: CTX,
  scratch: path.join(TOP, 'scratch'),
  env: ENV,
  /** ENV plus this environment's NODE_EXTRA_CA_CERTS, for the "as set here" rows. */
  envCa: EXTRA_CA && !KEEP_CA ? { ...ENV, NODE_EXTRA_CA_CERTS: EXTRA_CA } : null,
  caLabel: 'with NODE_EXTRA_CA_CERTS (as set in this environment)',
  hostIp: '',
  img: 'cbench-tiny',
  podman: {
    flags: ['--runtime', 'runc', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'],
    image: 'localhost/cbench-bookworm:latest',
    buildTag: 'localhost/cbench-build:latest',
  },
  ports: { http: 3901, up: 3902, net: 3903 },
  made: { podmanContainers: new Set(), podmanImages: new Set(), runcPrefix: 'cbench-', hostInterfaces: new Set() },
  shared: {},
  long: { cInit: 0, podmanExec: null },
  log,
  sleep: (t) => new Promise((r) => setTimeout(r, t)),
  left,
  hfTimeout: (t) => Math.max(10_000, Math.min(t, left())),
  conductor,
  c,
  inspectConductor: async (name) => JSON.parse((await c('inspect', name, '--json')).stdout) as ConductorInfo,
  monitorMem,
  row: (label, sample, more = {}) => ({ label, summary: summarize(sample), ...more }),
  single: (v) => ({ median: v, p90: v, min: v, max: v, runs: 1 }),
  withRatios: (g) => {
    const base = g.rows.find((r) => r.conductor);
    if (!base) return;
    for (const r of g.rows) if (!r.conductor) r.ratio = base.summary.median / r.summary.median;
  },
  verdict: (v) => void verdicts.push(v),
  shown: (cmd) =>
    cmd
      .replaceAll(BASE, 'R')
      .replaceAll(CLI, 'dist/conductor.cjs')
      .replaceAll(path.join(CTX, 'podman'), 'CTX')
      .replaceAll(TOP, '$TMP')
      .replaceAll(REPO + '/', ''),
  ms,
  caNote: (sample) => (sample ? ` (${ms(median(sample))} with NODE_EXTRA_CA_CERTS)` : ''),
  interleavedNote:
    'The contenders ran interleaved (a few runs of each in turn, 4–5 rounds, ' +
    "warm-ups first) so that the machine's drifting load hits all of them alike.",
  result: (id) => groups.find((g) => g.id === id),
};

const cleanup = cleaner(ctx);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** One group: skipped when the budget cannot hold it; a throw becomes its "Not measured" line. */
async function group(def: GroupDef): Promise<void> {
  const { body, estimateMs, needs: _needs, ...shape } = def;
  const g: Group = { ...shape, rows: [], notes: [] };
  groups.push(g);
  if (left() < estimateMs) {
    g.error =
      `skipped: ${Math.round(left() / 1000)} s of the ${BUDGET_MS / 60_000}-minute ` +
      `budget left, needs ~${Math.round(estimateMs / 1000)} s`;
    log(`${g.id}: ${g.error}`);
    return;
  }
  log(`${g.id}: ${g.title}`);
  const t = Date.now();
  try {
    await body(ctx, g);
  } catch (e) {
    g.error = (e as Error).message;
    log(`${g.id} failed: ${g.error}`);
  }
  g.notes.push(`Group wall time: ${((Date.now() - t) / 1000).toFixed(1)} s.`);
}

let setupImages: SetupResult['setupImages'];
async function main(): Promise<void> {
  const s = await setup(ctx, NEEDS);
  ctx.hostIp = s.hostIp;
  setupImages = s.setupImages;
  mkdirSync(ctx.scratch);
  let longStarted = false;
  for (const def of SELECTED) {
    // The long-running containers start only now, so that the groups before them (run) measure a quiet machine.
    if (!longStarted && def.needs?.some((n) => n === 'conductor-container' || n === 'podman-container')) {
      longStarted = true;
      await startLongRunning(ctx, NEEDS);
    }
    await group(def);
  }
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
const subset = selection.full ? null : SELECTED.map((g) => g.id);
const text = await writeReport({
  groups,
  verdicts,
  failure,
  elapsedMs: Date.now() - T0,
  setupImages,
  extraCa: EXTRA_CA,
  keepCa: KEEP_CA,
  repo: REPO,
  file: subset ? path.join(REPO, 'bench', 'last-run.md') : path.join(REPO, 'BENCHMARKS.md'),
  chartsDir: subset ? path.join(REPO, 'bench', 'last-run') : path.join(REPO, 'bench', 'charts'),
  subset,
  log,
});
if (subset) process.stdout.write(text);
log(`done in ${((Date.now() - T0) / 1000).toFixed(0)} s`);
process.exitCode = failure ? 1 : 0;
