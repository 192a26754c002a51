/** exec /bin/true into a running container: conductor, podman, raw nsenter. */
import type { GroupDef } from '../lib/context.ts';
import { cmdline, interleaved } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';

export const execGroup: GroupDef = {
  id: 'exec',
  title: 'exec /bin/true into a running container',
  unit: 'ms',
  estimateMs: 30_000,
  needs: ['conductor-container', 'podman-container'],
  async body(ctx, g) {
    const { cInit, podmanExec } = ctx.long;
    const { conductor, env, envCa, caLabel, row, ms, caNote } = ctx;
    if (!cInit || !podmanExec) throw new Error('the long-running containers did not start');
    const ce = cmdline(conductor('exec', 'cbench-exec', '--', '/bin/true'));
    const pe = cmdline(['podman', 'exec', 'cbench-pexec', '/bin/true']);
    const ne = `nsenter -t ${cInit} -a /bin/true`;
    const [cs, ps, ns, ...rest] = await interleaved(
      [
        { command: ce, runs: 30, warmup: 3, env },
        { command: pe, runs: 20 },
        { command: ne, runs: 30, warmup: 3 },
        ...(envCa ? [{ command: ce, runs: 20, env: envCa }] : []),
      ],
      5,
      ctx.hfTimeout(120_000),
    );
    const cas = envCa ? rest[0] : undefined;
    g.rows.push(
      row('conductor exec', cs!, { conductor: true, command: 'node dist/conductor.cjs exec cbench-exec -- /bin/true' }),
    );
    g.rows.push(row('podman exec', ps!, { command: pe }));
    g.rows.push(row('raw nsenter -a (into the conductor container)', ns!, { command: 'nsenter -t PID -a /bin/true' }));
    if (cas) g.rows.push(row(`conductor exec, ${caLabel}`, cas, { note: '20 runs' }));
    ctx.withRatios(g);
    g.notes.push(ctx.interleavedNote);
    const cm = median(cs!);
    const pm = median(ps!);
    ctx.verdict({
      group: 'exec',
      figure: 'exec /bin/true',
      conductor: ms(cm) + caNote(cas),
      peer: `podman ${ms(pm)}`,
      ratio: `${(cm / pm).toFixed(2)}×${cas ? ` (${(median(cas) / pm).toFixed(2)}×)` : ''}`,
      target: '≤ 0.30× podman',
      pass: cm / pm <= 0.3,
    });
  },
};
