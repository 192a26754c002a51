/** Where the time goes: phases of run, exec, addnetwork and a cached build from strace exec timelines. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext, GroupDef } from '../lib/context.ts';
import { run, runOk } from '../lib/proc.ts';
import type { Group } from '../lib/report.ts';
import { median } from '../lib/stats.ts';

export const profileGroup: GroupDef = {
  id: 'profile',
  title: 'Where the time goes (strace timelines)',
  unit: 'ms',
  estimateMs: 30_000,
  needs: ['conductor-container'],
  async body(ctx, g) {
    const { conductor, img, env, ports, ctxDir: CTX } = ctx;
    await profile(ctx, g, {
      what: 'run',
      argv: (i) => conductor('run', '--rm', img, `cbench-prof${i}`, '--', '/bin/true'),
      marker: '/bin/true',
    });
    if (ctx.long.cInit)
      await profile(ctx, g, {
        what: 'exec',
        argv: () => conductor('exec', 'cbench-exec', '--', '/bin/true'),
        marker: '/bin/true',
      });
    await profile(ctx, g, {
      what: 'addnetwork',
      argv: () => conductor('addnetwork', 'cbench-prof', '-i', '-e', `8080-${ports.net}`),
      prepare: async () => {
        await run(conductor('stop', '-t', '0', '--ignore', 'cbench-prof'), { env, timeoutMs: 30_000 });
        await ctx.c('run', '-d', img, 'cbench-prof', '--', 'sleep', 'infinity');
      },
    });
    await run(conductor('stop', '-t', '0', '--ignore', 'cbench-prof'), { env, timeoutMs: 30_000 });
    await profile(ctx, g, {
      what: 'build (cached)',
      argv: () => conductor('build', img, path.join(CTX, 'Conductorfile'), '--context', CTX, '-q'),
    });
    g.notes.push(BEFORE);
    g.notes.push(
      'From `strace --seccomp-bpf -f -ttt -e trace=execve,exit_group` (only those two syscalls stop, ' +
        'so the overhead is small), 7 runs each, medians; ' +
        'the packages from one more run under `strace -e trace=openat`. ' +
        'Compare the first phase with `node -e 0` and `conductor --help` in [the floors](#floors), ' +
        'and the import rows there for what a package costs.',
    );
  },
};

/**
 * The same phases before the sessions that cut them, as BENCHMARKS.md of the `just bench` runs of
 * 2026-12-03 17:43 UTC (commit 1c48834) and 19:53 UTC (commit 8a09268) gave them, both on an
 * earlier VM of the same kind: a record of those runs, not measured again here.
 */
const BEFORE =
  'Before (the `just bench` run of 2026-12-03 17:43 UTC, commit 1c48834, on an earlier VM of this kind): ' +
  'run 97.6 ms node start + module load + SDK work, 27.2 ms helpers (conductor-monitor → conductor-init), ' +
  '24.3 ms command + teardown + exit (151 ms under strace); ' +
  'exec 75.5 + 20.5 (nsenter → conductor-init) + 12.3 ms (109 ms); ' +
  'addnetwork 145 + 189 + 16.3 ms (346 ms); build (cached) 115 ms. ' +
  'Since then: a CommonJS entry (an ES-module one cost node ~11 ms), no node:crypto on run, ' +
  'builtins loaded on first use, the bundle read as latin1, exec without nsenter (the helper joins by pidfd), ' +
  "ps' and removal's per-container work cut, zx/core from a bundle of its own with a code cache " +
  "(node's ESM import of it took ~55 ms), addnetwork's routes read once. " +
  'Then (run of 2026-12-03 19:53 UTC, commit 8a09268, the same earlier VM): run 51.0 + 22.2 + 18.0 ms (90.3 ms), ' +
  'exec 44.3 + 23.8 + 8.73 ms (75.5 ms). Since then: the helpers join v1 cgroups through `tasks`, which ' +
  'moves the writing thread without the lock whose RCU grace period a cgroup.procs write waits out ' +
  '(5–13 ms per run and exec).';

/** The node_modules packages a CLI call loads (one run under `strace -e openat`). */
async function packagesLoaded(ctx: BenchContext, argv: string[]): Promise<string[]> {
  const out = path.join(ctx.top, 'strace-openat.txt');
  await run(['strace', '-f', '-e', 'trace=openat', '-o', out, ...argv], { env: ctx.env, timeoutMs: 30_000 });
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
async function profile(ctx: BenchContext, g: Group, spec: ProfileSpec): Promise<void> {
  const phases: Record<string, number[]> = {};
  const childCounts: number[] = [];
  let childNames = '';
  const push = (k: string, v: number) => (phases[k] ??= []).push(v);
  for (let i = 0; i < 7; i++) {
    await spec.prepare?.();
    const out = path.join(ctx.top, `strace-${spec.what}-${i}.txt`);
    await runOk(
      ['strace', '--seccomp-bpf', '-f', '-ttt', '-e', 'trace=execve,exit_group', '-o', out, ...spec.argv(i)],
      { env: ctx.env, timeoutMs: 30_000 },
    );
    const ev = readFileSync(out, 'utf8')
      .split('\n')
      .map((l) => /^(\d+)\s+([\d.]+)\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), t: Number(m[2]) * 1000, text: m[3]! }));
    // An execve that strace split into "<unfinished ...>" and "<... execve resumed>" succeeded if the resumed half says
    // so.
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
    const cmdIdx = spec.marker
      ? children.findIndex((e) => e.bin === spec.marker || e.bin === `/usr${spec.marker}`)
      : -1;
    if (cmdIdx >= 0) {
      const helpers = children.slice(0, cmdIdx);
      childCounts.push(helpers.length);
      childNames = helpers.map((h) => label(h.bin)).join(' → ');
      push(`helper processes until the command's execve`, children[cmdIdx]!.t - first.t);
      push('the command, teardown and node exit', end - children[cmdIdx]!.t);
    } else {
      const pids = new Set(children.map((e) => e.pid));
      const lastExit = ev
        .filter((e) => pids.has(e.pid) && e.text.startsWith('+++ exited'))
        .reduce((m, e) => Math.max(m, e.t), first.t);
      childCounts.push(children.length);
      childNames = children.map((h) => label(h.bin)).join(' → ');
      push('child processes (first spawn → last exit)', lastExit - first.t);
      push('node work after the last child and exit', end - lastExit);
    }
  }
  const order = (k: string) => (k.startsWith('total') ? 9 : 0);
  for (const [k, v] of Object.entries(phases).sort((x, y) => order(x[0]) - order(y[0])))
    g.rows.push(ctx.row(`${spec.what}: ${k}`, v, { conductor: k.startsWith('total') }));
  await spec.prepare?.();
  const pk = await packagesLoaded(ctx, spec.argv(99)).catch(() => [] as string[]);
  g.notes.push(
    `**${spec.what}**: ${median(childCounts)} ${spec.marker ? 'helper ' : 'child '}processes` +
      `${childNames ? `: ${childNames}` : ''}. ` +
      `Packages loaded from node_modules: ${pk.length ? pk.join(', ') : 'none'}.`,
  );
}
