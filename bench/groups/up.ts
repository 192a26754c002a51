/**
 * `just up` warm (images cached, containers gone) and `just down`, as the justfile runs them (the
 * orchestrator's bundle, scripts/run-bundled.mjs), interleaved with the same script through `npx tsx`.
 */
import type { GroupDef } from '../lib/context.ts';
import { run } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';

export const upGroup: GroupDef = {
  id: 'up',
  title: '`just up` warm (images cached, containers gone) and `just down`',
  unit: 'ms',
  estimateMs: 90_000,
  needs: ['demo-images'],
  async body(ctx, g) {
    const { repo, ports, row, ms } = ctx;
    const env = { ...ctx.env, ES_NAME: 'cbench-es', CS_NAME: 'cbench-cs', HOST_PORT: String(ports.up) };
    // What the justfile's `up` and `down` run, and the same script through tsx.
    const orch = ['node', 'scripts/run-bundled.mjs', 'scripts/service-orchestrator.ts'];
    const viaTsx = ['npx', 'tsx', 'scripts/service-orchestrator.ts'];
    // Untimed: makes the bundle if it is missing or stale.
    await run([...orch, 'down'], { env, cwd: repo, timeoutMs: 60_000 });
    const ups: number[] = [];
    const tsxUps: number[] = [];
    const downs: number[] = [];
    const up = async (argv: string[]) => {
      const u = await run(argv, { env, cwd: repo, timeoutMs: 90_000 });
      if (u.code !== 0)
        throw new Error(`just up failed (${u.code}): ${u.stderr.trim().split('\n').slice(-3).join(' / ')}`);
      for (const n of ['cbench-es', 'cbench-cs']) {
        const info = await ctx.inspectConductor(n).catch(() => null);
        if (info?.hostInterface) ctx.made.hostInterfaces.add(info.hostInterface);
      }
      const d = await run([...orch, 'down'], { env, cwd: repo, timeoutMs: 90_000 });
      if (d.code !== 0) throw new Error(`just down failed (${d.code}): ${d.stderr.trim()}`);
      return { up: u.ms, down: d.ms };
    };
    const runs = 5;
    for (let i = 0; i < runs && ctx.left() > 30_000; i++) {
      const r = await up(orch);
      ups.push(r.up);
      downs.push(r.down);
      tsxUps.push((await up(viaTsx)).up);
    }
    g.rows.push(
      row('up: node scripts/run-bundled.mjs scripts/service-orchestrator.ts (just up)', ups, {
        conductor: true,
        note: `${ups.length} runs (slow figure), timed from Node's spawn to exit, interleaved with the next row`,
      }),
    );
    g.rows.push(row('up: npx tsx scripts/service-orchestrator.ts (the same script through tsx)', tsxUps));
    g.rows.push(
      row('down: node scripts/run-bundled.mjs scripts/service-orchestrator.ts down', downs, { conductor: true }),
    );
    g.target = { value: 700, label: '700 ms' };
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
      peer: `down ${ms(median(downs))}, via npx tsx ${ms(median(tsxUps))}`,
      ratio: '—',
      target: '≤ 700 ms',
      pass: m <= 700,
    });
  },
};
