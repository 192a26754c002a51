/** Unchanged rebuild of a 5-step Conductorfile against podman's cached build of the same file. */
import path from 'node:path';
import type { GroupDef } from '../lib/context.ts';
import { cmdline, interleaved } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';

export const rebuildGroup: GroupDef = {
  id: 'rebuild',
  title: 'Unchanged rebuild of a 5-step Conductorfile',
  unit: 'ms',
  estimateMs: 30_000,
  needs: ['podman-image', 'podman-build'],
  async body(ctx, g) {
    const { conductor, img, ctxDir, podman, env, row, shown, ms } = ctx;
    const cb = cmdline(conductor('build', img, path.join(ctxDir, 'Conductorfile'), '--context', ctxDir, '-q'));
    const pb = cmdline([
      'podman',
      'build',
      '-q',
      ...podman.flags,
      '--network',
      'none',
      '-t',
      podman.buildTag,
      path.join(ctxDir, 'podman'),
    ]);
    const [cs, ps] = await interleaved(
      [
        { command: cb, runs: 20, env },
        { command: pb, runs: 20 },
      ],
      4,
      ctx.hfTimeout(120_000),
    );
    ctx.shared.cachedBuild = cs!;
    g.rows.push(
      row('conductor build (all 4 steps cached)', cs!, {
        conductor: true,
        command: 'node dist/conductor.cjs build cbench-tiny Conductorfile --context CTX -q',
      }),
    );
    g.rows.push(row('podman build (cached)', ps!, { command: shown(pb) }));
    ctx.withRatios(g);
    g.notes.push(ctx.interleavedNote);
    g.notes.push(
      'The file: `FROM debian:bookworm` (podman: `FROM localhost/cbench-bookworm`, ' +
        'the same rootfs), `COPY hello.txt`, three `RUN`s writing tiny files. No network.',
    );
    const cm = median(cs!);
    const pm = median(ps!);
    ctx.verdict({
      group: 'rebuild',
      figure: 'unchanged rebuild, 5 steps',
      conductor: ms(cm),
      peer: `podman ${ms(pm)}`,
      ratio: `${(cm / pm).toFixed(2)}×`,
      target: '≤ 1.0× podman',
      pass: cm / pm <= 1.0,
    });
  },
};
