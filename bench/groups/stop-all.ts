/** `stop --all -t 1` of 100 networked containers whose PID 1 ignores SIGTERM, in a state root of their own. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GroupDef } from '../lib/context.ts';
import { run, runOk } from '../lib/proc.ts';

const COUNT = 100;

export const stopallGroup: GroupDef = {
  id: 'stop-all',
  title: `stop --all -t 1 of ${COUNT} networked containers whose PID 1 ignores SIGTERM`,
  unit: 's',
  estimateMs: 240_000,
  async body(ctx, g) {
    const { conductor, log } = ctx;
    // Its own root: `stop --all` must not end the other groups' containers.
    const root = path.join(ctx.top, 'stopall');
    const dir = path.join(ctx.top, 'stopall-ctx');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'Conductorfile'), 'FROM debian:bookworm\n');
    const env = { ...ctx.env, CONDUCTOR_ROOT: root };
    const names = Array.from({ length: COUNT }, (_, i) => `cbench-ign${i + 1}`);
    try {
      await runOk(conductor('build', 'cbench-ign', path.join(dir, 'Conductorfile'), '--context', dir, '-q'), {
        env,
        timeoutMs: 300_000,
      });
      for (let i = 0; i < names.length; i += 10) {
        await Promise.all(
          names.slice(i, i + 10).map(async (n) => {
            // sleep as PID 1 of its namespace: the kernel drops the SIGTERM it has no handler for.
            await runOk(conductor('run', '-d', 'cbench-ign', n, '--', 'sleep', 'infinity'), { env, timeoutMs: 60_000 });
            await runOk(conductor('addnetwork', n, '-i'), { env, timeoutMs: 60_000 });
          }),
        );
      }
      log(`stop-all: ${COUNT} containers running, stopping them`);
      const r = await runOk(conductor('stop', '--all', '-t', '1'), { env, timeoutMs: 600_000 });
      const killed = r.stdout.split('\n').filter((l) => / killed after 1 s \(137\)$/.test(l)).length;
      const left = await run(conductor('ps', '-a', '--json'), { env });
      const seconds = r.ms / 1000;
      g.rows.push(
        ctx.row(`stop --all -t 1 of ${COUNT}`, [seconds], {
          conductor: true,
          command: 'node dist/conductor.cjs stop --all -t 1',
          note: `${killed} of ${COUNT} reported killed after 1 s (137); ${JSON.parse(left.stdout).length} left`,
        }),
      );
      g.target = { value: 3, label: '3 s' };
      g.notes.push(
        `${COUNT} containers of a bare debian:bookworm image, each \`run -d -- sleep infinity\` and ` +
          '`addnetwork -i` (started in parallel batches of 10, untimed), in a state root of their own. ' +
          'One timed `stop --all -t 1`: every grace period runs at once, and the containers that end ' +
          'together share one firewall restore, one ip_forward release and one veth deletion.',
      );
      ctx.verdict({
        group: 'stop-all',
        figure: `stop --all -t 1 of ${COUNT} (SIGTERM ignored)`,
        conductor: `${seconds.toFixed(2)} s`,
        peer: '—',
        ratio: '—',
        target: '≤ 3 s',
        pass: seconds <= 3 && killed === COUNT,
      });
    } finally {
      // The root itself goes with the bench's temporary directory.
      await run(conductor('stop', '-t', '0', '--all'), { env, timeoutMs: 300_000 });
    }
  },
};
