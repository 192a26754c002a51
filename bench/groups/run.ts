/** run → exit of /bin/true: conductor, podman, runc with the same rootfs, raw unshare + chroot. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GroupDef } from '../lib/context.ts';
import { cmdline, interleaved, runOk } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';

export const runGroup: GroupDef = {
  id: 'run',
  title: 'run → exit of /bin/true',
  unit: 'ms',
  estimateMs: 40_000,
  ratioHeader: 'conductor/this',
  needs: ['podman-image'],
  async body(ctx, g) {
    const { base: R, top, img, conductor, podman, env, envCa, caLabel, row, shown, ms, caNote } = ctx;
    const runc = path.join(top, 'runc-bundle');
    mkdirSync(runc);
    await runOk(['runc', 'spec', '--bundle', runc]);
    const cfgFile = path.join(runc, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as {
      root: unknown;
      process: { terminal: boolean; args: string[] };
    };
    cfg.root = { path: R, readonly: true };
    cfg.process.terminal = false;
    cfg.process.args = ['/bin/true'];
    writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));

    const cRun = cmdline(conductor('run', '--rm', img, 'cbench-run{i}', '--', '/bin/true'));
    const pRun = cmdline(['podman', 'run', '--rm', '--network', 'none', ...podman.flags, podman.image, '/bin/true']);
    const rRun = cmdline(['runc', 'run', '-b', runc, 'cbench-runc{i}']);
    const u = `unshare --uts --pid --net --mount --ipc --fork --mount-proc=${R}/proc chroot ${R} /bin/true`;
    const [cs, ps, rs, us, ...rest] = await interleaved(
      [
        { command: cRun, runs: 30, scan: true, env },
        { command: pRun, runs: 20 },
        { command: rRun, runs: 30, scan: true },
        { command: u, runs: 30, warmup: 3 },
        ...(envCa
          ? [{ command: cRun.replace('cbench-run{i}', 'cbench-runca{i}'), runs: 20, scan: true, env: envCa }]
          : []),
      ],
      5,
      ctx.hfTimeout(240_000),
    );
    const cas = envCa ? rest[0] : undefined;
    g.rows.push(
      row('conductor run --rm', cs!, {
        conductor: true,
        command: 'node dist/conductor.cjs run --rm cbench-tiny cbench-run{i} -- /bin/true',
      }),
    );
    g.rows.push(row('podman run --rm --network none', ps!, { command: pRun }));
    g.rows.push(
      row('runc run (OCI bundle, same rootfs, read-only)', rs!, { command: 'runc run -b BUNDLE cbench-runc{i}' }),
    );
    g.rows.push(row('raw unshare + chroot', us!, { command: shown(u) }));
    if (cas) g.rows.push(row(`conductor run --rm, ${caLabel}`, cas, { note: '20 runs' }));
    ctx.withRatios(g);
    g.notes.push(ctx.interleavedNote);
    g.notes.push(
      'Each conductor run gets a fresh container name (hyperfine `--parameter-scan`, one run per value, `-N`); ' +
        'the container gets its own overlay, cgroup, uts/pid/net/mount/ipc/cgroup namespaces and is removed on ' +
        'exit. podman uses the flags this machine needs (runc: crun 1.8.1 refuses the hybrid cgroup layout).',
    );
    const cm = median(cs!);
    const pm = median(ps!);
    ctx.verdict({
      group: 'run',
      figure: 'run → exit /bin/true',
      conductor: ms(cm) + caNote(cas),
      peer: `podman ${ms(pm)}`,
      ratio: `${(cm / pm).toFixed(2)}×${cas ? ` (${(median(cas) / pm).toFixed(2)}×)` : ''}`,
      target: '≤ 0.40× podman',
      pass: cm / pm <= 0.4,
    });
    const rm = median(rs!);
    ctx.verdict({
      group: 'run',
      figure: 'run → exit /bin/true, against runc',
      conductor: ms(cm) + caNote(cas),
      peer: `runc run ${ms(rm)}`,
      ratio: `${(cm / rm).toFixed(2)}×${cas ? ` (${(median(cas) / rm).toFixed(2)}×)` : ''}`,
      target: '≤ 1.6× runc',
      pass: cm / rm <= 1.6,
    });
  },
};
