/** Memory of the long-lived per-container processes: conductor's monitor against podman's conmon. */
import type { GroupDef } from '../lib/context.ts';
import { memOf } from '../lib/procfs.ts';
import { fmt } from '../lib/report.ts';

export const memoryGroup: GroupDef = {
  id: 'memory',
  title: 'Memory of the long-lived per-container processes',
  unit: 'KiB',
  estimateMs: 5_000,
  needs: ['conductor-container', 'podman-container'],
  async body(ctx, g) {
    const { cInit, podmanExec } = ctx.long;
    const { single } = ctx;
    if (!cInit || !podmanExec) throw new Error('the long-running containers did not start');
    const cm = ctx.monitorMem(cInit);
    const pm = memOf(podmanExec.conmon);
    g.rows.push({
      label: `conductor: Pss of the monitor (${cm.comms.join(', ')})`,
      summary: single(cm.mem.pss),
      conductor: true,
    });
    g.rows.push({ label: 'podman: Pss of conmon', summary: single(pm.pss) });
    g.rows.push({ label: 'conductor: RSS of the monitor', summary: single(cm.mem.rss), conductor: true });
    g.rows.push({ label: 'podman: RSS of conmon', summary: single(pm.rss) });
    g.rows[1]!.ratio = cm.mem.pss / pm.pss;
    g.rows[3]!.ratio = cm.mem.rss / pm.rss;
    g.ratioHeader = 'conductor/this (Pss/Pss, RSS/RSS)';
    g.notes.push(
      'Pss (from /proc/PID/smaps_rollup) splits shared pages among the processes mapping them, ' +
        'so it is the memory one more container really costs; RSS counts every shared library page again for ' +
        "each process. The container's own command (`sleep`) is not counted on either side.",
    );
    ctx.verdict({
      group: 'memory',
      figure: 'memory per container (Pss)',
      conductor: fmt(cm.mem.pss, 'KiB'),
      peer: `conmon ${fmt(pm.pss, 'KiB')}`,
      ratio: `${(cm.mem.pss / pm.pss).toFixed(2)}×`,
      target: '≤ podman',
      pass: cm.mem.pss <= pm.pss,
    });
  },
};
