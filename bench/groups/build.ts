/**
 * Build cold (fresh CONDUCTOR_ROOT, cached base), the demo with a changed install line (bench/lib/demo-build.ts),
 * beside the cached rebuild and node's floor when those groups ran.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GroupDef } from '../lib/context.ts';
import { cmdline, hyperfine } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';
import { demoChangedInstallRows } from '../lib/demo-build.ts';

export const buildGroup: GroupDef = {
  id: 'build',
  title: 'Build: cold (fresh root, cached base) and fully cached',
  unit: 'ms',
  estimateMs: 120_000,
  async body(ctx, g) {
    const { conductor, img, ctxDir, env, fresh, shared, row, ms } = ctx;
    const prep = path.join(ctx.top, 'prep-fresh.sh');
    writeFileSync(prep, `rm -rf ${fresh}\n`);
    const cb = cmdline(conductor('build', img, path.join(ctxDir, 'Conductorfile'), '--context', ctxDir, '-q'));
    const cold = await hyperfine(cb, {
      runs: 10,
      warmup: 1,
      prepare: `sh ${prep}`,
      env: { ...env, CONDUCTOR_ROOT: fresh },
      timeoutMs: ctx.hfTimeout(120_000),
    });
    g.rows.push(
      row('conductor build, cold (fresh CONDUCTOR_ROOT, cached base)', cold, {
        conductor: true,
        note: '10 runs: each runs 3 RUN containers and a COPY',
      }),
    );
    if (ctx.left() > 300_000) g.rows.push(...(await demoChangedInstallRows(ctx, 2)));
    else g.notes.push('The demo build with a changed install line was left out: not enough budget left.');
    if (shared.cachedBuild) g.rows.push(row('conductor build, fully cached', shared.cachedBuild, { conductor: true }));
    if (shared.nodeE0) g.rows.push(row('node -e 0 (floor)', shared.nodeE0));
    g.target = { value: 1000, label: 'cached < 1 s' };
    const cm = shared.cachedBuild ? median(shared.cachedBuild) : NaN;
    ctx.verdict({
      group: 'build',
      figure: 'build fully cached / cold',
      conductor: `${ms(cm)} / ${ms(median(cold))}`,
      peer: '—',
      ratio: '—',
      target: 'cached < 1 s',
      pass: shared.cachedBuild ? cm < 1000 : null,
    });
  },
};
