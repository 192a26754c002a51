/** The demo under load: wrk through the host port → external service → counter service chain. */
import type { GroupDef } from '../lib/context.ts';
import { run, runOk } from '../lib/proc.ts';

export const chainGroup: GroupDef = {
  id: 'chain',
  title: 'The demo under load: host port → external service → counter service',
  unit: 'req/s',
  higherIsBetter: true,
  estimateMs: 45_000,
  needs: ['demo-images'],
  async body(ctx, g) {
    const { repo, ports, hostIp, row } = ctx;
    const env = { ...ctx.env, ES_NAME: 'cbench-es', CS_NAME: 'cbench-cs', HOST_PORT: String(ports.up) };
    const orch = ['npx', 'tsx', 'scripts/service-orchestrator.ts'];
    const u = await run(orch, { env, cwd: repo, timeoutMs: 90_000 });
    if (u.code !== 0)
      throw new Error(`just up failed (${u.code}): ${u.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    try {
      const cs = await ctx.inspectConductor('cbench-cs');
      for (const n of ['cbench-es', 'cbench-cs']) {
        const info = await ctx.inspectConductor(n).catch(() => null);
        if (info?.hostInterface) ctx.made.hostInterfaces.add(info.hostInterface);
      }
      const wrk16 = async (url: string) => {
        const r = await runOk(['wrk', '-c16', '-t2', '-d10s', '--latency', url], { timeoutMs: 30_000 });
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
        const p99 = /^\s*99%\s+(\S+)/m.exec(r.stdout)?.[1] ?? '?';
        const errs = /Socket errors:.*|Non-2xx.*/.exec(r.stdout)?.[0];
        return { rps, p99, errs };
      };
      const chain = await wrk16(`http://${hostIp}:${ports.up}/`);
      const counter = await wrk16(`http://${cs.ip}:8080/get_and_increment_counter`);
      g.rows.push(
        row(`whole chain: http://HOST_IP:${ports.up}/ (p99 ${chain.p99})`, [chain.rps], {
          conductor: true,
          command: `wrk -c16 -t2 -d10s --latency http://HOST_IP:${ports.up}/`,
        }),
      );
      g.rows.push(
        row(`counter service alone over its veth (p99 ${counter.p99})`, [counter.rps], {
          command: 'wrk -c16 -t2 -d10s --latency http://CS_IP:8080/get_and_increment_counter',
        }),
      );
      for (const [what, r] of [
        ['chain', chain],
        ['counter', counter],
      ] as const)
        if (r.errs) g.notes.push(`wrk (${what}): ${r.errs.trim()}`);
      g.notes.push(
        'One 10 s wrk run each, 16 connections, on the host (2 cores shared with the servers). ' +
          'Every chain request is a gunicorn request (2 workers × 4 threads) making a fresh HTTP call to the ' +
          'counter service, so the chain is bound by Python, not by the network path.',
      );
    } finally {
      await run([...orch, 'down'], { env, cwd: repo, timeoutMs: 60_000 });
    }
  },
};
