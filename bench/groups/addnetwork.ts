/** addnetwork -i -e on a fresh detached container each run (veth, address, NAT, a published port). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GroupDef } from '../lib/context.ts';
import { cmdline, hyperfine } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';

export const addnetworkGroup: GroupDef = {
  id: 'addnetwork',
  title: 'addnetwork -i -e (veth, address, NAT, published port)',
  unit: 'ms',
  estimateMs: 30_000,
  async body(ctx, g) {
    const { conductor, img, env, ports, row, ms } = ctx;
    const prep = path.join(ctx.top, 'prep-net.sh');
    writeFileSync(
      prep,
      [
        `${cmdline(conductor('stop', '-t', '0', '--ignore', 'cbench-net'))} >/dev/null`,
        `${cmdline(conductor('run', '-d', img, 'cbench-net', '--', 'sleep', 'infinity'))} >/dev/null`,
        '',
      ].join('\n'),
    );
    const an = cmdline(conductor('addnetwork', 'cbench-net', '-i', '-e', `8080-${ports.net}`));
    const s = await hyperfine(an, {
      runs: 20,
      warmup: 1,
      prepare: `sh ${prep}`,
      env,
      timeoutMs: ctx.hfTimeout(120_000),
    });
    const info = await ctx.inspectConductor('cbench-net');
    if (info.hostInterface) ctx.made.hostInterfaces.add(info.hostInterface);
    await ctx.c('stop', '-t', '0', 'cbench-net');
    g.rows.push(
      row('conductor addnetwork -i -e 8080-3903', s, {
        conductor: true,
        command: 'node dist/conductor.cjs addnetwork cbench-net -i -e 8080-3903',
      }),
    );
    if (ctx.shared.help) g.rows.push(row('conductor --help (node + the CLI bundle)', ctx.shared.help));
    g.target = { value: 300, label: '300 ms' };
    g.notes.push(
      'A fresh detached container before each run (hyperfine --prepare, untimed). ' +
        "`-i` adds NAT to the host's default route (no traffic is sent), `-e` a DNAT'd host port.",
    );
    const m = median(s);
    ctx.verdict({
      group: 'addnetwork',
      figure: 'addnetwork -i -e',
      conductor: ms(m),
      peer: '—',
      ratio: '—',
      target: '≤ 300 ms',
      pass: m <= 300,
    });
  },
};
