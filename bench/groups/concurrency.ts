/** Start time of the Nth concurrent container (N = 1, 10, 50, 100), and the monitor's Pss with 100 running. */
import type { GroupDef } from '../lib/context.ts';
import { run, timedRuns, type RunResult } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';

const CONCURRENCY_N = [1, 10, 50, 100];

export const concurrencyGroup: GroupDef = {
  id: 'concurrency',
  title: 'Start time of the Nth concurrent container',
  unit: 'ms',
  estimateMs: 90_000,
  ratioHeader: 'this/N=1',
  async body(ctx, g) {
    const { conductor, img, env, row, ms, log } = ctx;
    const probe = conductor('run', '-d', img, 'cbench-probe', '--', 'sleep', 'infinity');
    const stopProbe = async () => {
      await run(conductor('stop', '-t', '0', '--ignore', 'cbench-probe'), { env, timeoutMs: 60_000 });
    };
    let running = 0;
    let serial = 0;
    const fillers: string[] = [];
    const failures: string[] = [];
    const samples: [number, number[]][] = [];
    const timeProbe = async (what: string) => {
      const t = await timedRuns(probe, { runs: 20, warmup: 1, prepare: stopProbe, env, timeoutMs: 30_000 });
      await stopProbe();
      failures.push(...t.failures.map((f) => `probe at ${what}: ${f}`));
      return t;
    };
    for (const n of CONCURRENCY_N) {
      while (running < n - 1) {
        const batch: string[] = [];
        for (let k = 0; k < 10 && running + batch.length < n - 1; k++) batch.push(`cbench-f${++serial}`);
        const rs = await Promise.all(
          batch.map((name) =>
            run(conductor('run', '-d', img, name, '--', 'sleep', 'infinity'), { env, timeoutMs: 30_000 }),
          ),
        );
        fillers.push(...batch);
        rs.forEach((r: RunResult, k) => {
          if (r.code === 0) running++;
          else
            failures.push(
              `filler ${batch[k]} (${running} running): ` +
                `${
                  r.code === 124 ? 'hung, killed after 30 s' : `exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`
                }`,
            );
        });
        if (failures.length > 5) throw new Error(`too many failed starts: ${failures.join('; ')}`);
      }
      const t = await timeProbe(`N = ${n}`);
      samples.push([n, t.times]);
      g.rows.push(
        row(`N = ${n} (${n - 1} already running)`, t.times, {
          conductor: n === 1,
          ...(t.failures.length ? { note: `${t.failures.length} failed/hung run(s) left out` } : {}),
        }),
      );
      if (n === CONCURRENCY_N[CONCURRENCY_N.length - 1]) {
        // Memory per container with many running: the shared pages are spread thinner.
        const ps = await run(conductor('ps', '--json'), { env });
        const live = (JSON.parse(ps.stdout) as { name: string; pid: number | null }[]).filter((x) => x.pid);
        const per = live.map((x) => {
          try {
            return ctx.monitorMem(x.pid!).mem.pss;
          } catch {
            return NaN; // it ended meanwhile
          }
        });
        // The memory group (when it ran and did not fail) shows this figure beside its own.
        const mem = ctx.result('memory');
        if (mem && !mem.error) {
          mem.rows.push({
            label: 'conductor: Pss per container with 100 running (median)',
            summary: ctx.single(median(per.filter(Number.isFinite))),
            conductor: true,
          });
        }
      }
    }
    if (failures.length)
      g.notes.push(
        '**Failed or hung starts** (each killed after 30 s; ' +
          `the container is cleaned up by \`stop\`): ${failures.join('; ')}.`,
      );
    log(`stopping ${fillers.length} filler containers`);
    const t = Date.now();
    const st = await run(conductor('stop', '-t', '0', '--ignore', ...fillers), { env, timeoutMs: 300_000 });
    if (st.code !== 0) g.notes.push(`stopping the fillers: exit ${st.code}: ${st.stderr.trim()}`);
    // N = 1 once more, now that the fillers are gone: the levels are timed one after another, over
    // a minute and more in which the machine drifts, so the baseline is both ends' runs together.
    const again = await timeProbe('N = 1 again');
    g.rows.push(row('N = 1 again (the fillers stopped)', again.times));
    g.notes.push(
      'Containers started in parallel batches of 10 CLI calls (untimed); ' +
        'then the start that brings the count to N is timed 20 times (from Node: spawn → exit, ' +
        '30 s timeout per run), the probe being stopped (untimed) between runs. ' +
        `Stopping the ${fillers.length} fillers with one \`stop -t 0\` ` +
        `took ${((Date.now() - t) / 1000).toFixed(1)} s; then N = 1 was timed again. ` +
        'The ratios are over the median of both N = 1 rows (40 runs), which cancels a drift of the machine ' +
        'between the first level and the last.',
    );
    const base = median([...samples[0]![1], ...again.times]);
    for (const r of g.rows) if (!r.conductor) r.ratio = r.summary.median / base;
    const last = samples[samples.length - 1]!;
    const ratio = median(last[1]) / base;
    ctx.verdict({
      group: 'concurrency',
      figure: `start of the ${last[0]}th container`,
      conductor: ms(median(last[1])),
      peer: `N = 1 (before and after): ${ms(base)}`,
      ratio: `${ratio.toFixed(2)}×`,
      target: '≤ 1.2× N = 1',
      pass: ratio <= 1.2,
    });
  },
};
