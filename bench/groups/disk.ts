/** Disk added per running container: conductor's container directory, podman's layer, a cp -a copy. */
import path from 'node:path';
import type { GroupDef } from '../lib/context.ts';
import { runOk } from '../lib/proc.ts';
import { fmt } from '../lib/report.ts';

async function duK(paths: string[]): Promise<number> {
  const r = await runOk(['du', '-skx', '-c', ...paths]);
  return Number(/^(\d+)\s+total$/m.exec(r.stdout)?.[1] ?? NaN);
}

export const diskGroup: GroupDef = {
  id: 'disk',
  title: 'Disk added per running container',
  unit: 'KiB',
  estimateMs: 5_000,
  needs: ['conductor-container', 'podman-container'],
  async body(ctx, g) {
    const { cInit, podmanExec } = ctx.long;
    const { single } = ctx;
    if (!cInit || !podmanExec) throw new Error('the long-running containers did not start');
    const cdir = path.join(ctx.root, '.containers', 'cbench-exec');
    const ck = await duK([cdir]);
    g.rows.push({
      label: 'conductor: the container directory (upper, work, state, hosts, log)',
      command: 'du -skx $CONDUCTOR_ROOT/.containers/NAME',
      summary: single(ck),
      conductor: true,
    });
    const graph = (await runOk(['podman', 'info', '--format', '{{.Store.GraphRoot}}'])).stdout.trim();
    const layer = path.dirname(podmanExec.upper);
    const pk = await duK([layer, path.join(graph, 'overlay-containers', podmanExec.id)]);
    g.rows.push({
      label: 'podman: the container layer (diff, work, merged) + overlay-containers/ID',
      command: 'du -skx overlay/LAYER overlay-containers/ID',
      summary: single(pk),
    });
    const bk = await duK([ctx.base]);
    g.rows.push({ label: 'a cp -a copy of the rootfs (the seed’s way)', command: 'du -skx R', summary: single(bk) });
    ctx.withRatios(g);
    g.chartRows = (r) => !r.label.startsWith('a cp -a');
    g.notes.push(
      `Measured on idle containers running \`sleep infinity\`. ` +
        `The cp -a row (${fmt(bk / 1024, 'MiB')}) is left out of the chart: its bar would hide the other two.`,
    );
    ctx.verdict({
      group: 'disk',
      figure: 'disk per running container',
      conductor: fmt(ck, 'KiB'),
      peer: `podman ${fmt(pk, 'KiB')}; cp -a ${fmt(bk, 'KiB')}`,
      ratio: `${(ck / pk).toFixed(2)}× podman`,
      target: '≤ 100 KiB',
      pass: ck <= 100,
    });
  },
};
