/** `just up` warm (images cached, containers gone) and `just down`, through scripts/service-orchestrator.ts. */
import type { GroupDef } from '../lib/context.ts';
import { run } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';

export const upGroup: GroupDef = {
  id: 'up',
  title: '`just up` warm (images cached, containers gone) and `just down`',
  unit: 'ms',
  estimateMs: 60_000,
  needs: ['demo-images'],
  async body(ctx, g) {
    const { repo, ports, row, ms } = ctx;
    const env = { ...ctx.env, ES_NAME: 'cbench-es', CS_NAME: 'cbench-cs', HOST_PORT: String(ports.up) };
    const orch = ['npx', 'tsx', 'scripts/service-orchestrator.ts'];
    await run([...orch, 'down'], { env, cwd: repo, timeoutMs: 60_000 });
    const ups: number[] = [];
    const downs: number[] = [];
    const runs = 5;
    for (let i = 0; i < runs && ctx.left() > 30_000; i++) {
      const u = await run(orch, { env, cwd: repo, timeoutMs: 90_000 });
      if (u.code !== 0)
        throw new Error(`just up failed (${u.code}): ${u.stderr.trim().split('\n').slice(-3).join(' / ')}`);
      for (const n of ['cbench-es', 'cbench-cs']) {
        const info = await ctx.inspectConductor(n).catch(() => null);
        if (info?.hostInterface) ctx.made.hostInterfaces.add(info.hostInterface);
      }
      ups.push(u.ms);
      const d = await run([...orch, 'down'], { env, cwd: repo, timeoutMs: 90_000 });
      if (d.code !== 0) throw new Error(`just down failed (${d.code}): ${d.stderr.trim()}`);
      downs.push(d.ms);
    }
    g.rows.push(
      row('up: npx tsx scripts/service-orchestrator.ts', ups, {
        conductor: true,
        note: `${ups.length} runs (slow figure), timed from Node's spawn to exit`,
      }),
    );
    g.rows.push(row('down: npx tsx scripts/service-orchestrator.ts down', downs, { conductor: true }));
    g.target = { value: 5000, label: '5 s' };
    g.notes.push(
      `Containers cbench-es/cbench-cs on host port ${ports.up} in the bench root; ` +
        'both images already built there. "up" includes the two cached builds, two runs, two networks, ' +
        `peering, starting both services and waiting until http://localhost:${ports.up}/ answers.`,
    );
    const m = median(ups);
    ctx.verdict({
      group: 'up',
      figure: '`just up` warm',
      conductor: ms(m),
      peer: `down ${ms(median(downs))}`,
      ratio: '—',
      target: '≤ 5 s',
      pass: m <= 5000,
    });
  },
};
