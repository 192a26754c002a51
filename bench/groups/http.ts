/** HTTP throughput (wrk against the C counter service) through the published port vs the veth directly. */
import type { GroupDef } from '../lib/context.ts';
import { run, runOk } from '../lib/proc.ts';
import { fmt } from '../lib/report.ts';
import { median } from '../lib/stats.ts';

export const httpGroup: GroupDef = {
  id: 'http',
  title: 'HTTP through the published port vs the veth directly',
  unit: 'req/s',
  higherIsBetter: true,
  estimateMs: 75_000,
  ratioHeader: 'this/direct',
  needs: ['demo-images'],
  async body(ctx, g) {
    const { c, hostIp, ports, row } = ctx;
    await c('run', '-d', 'counter-service', 'cbench-http', '--', 'sleep', 'infinity');
    await c('addnetwork', 'cbench-http', '-e', `8080-${ports.http}`);
    const info = await ctx.inspectConductor('cbench-http');
    if (info.hostInterface) ctx.made.hostInterfaces.add(info.hostInterface);
    await c('exec', '-d', 'cbench-http', '--', '/opt/counter-service/counter-service', '8080');
    const direct = `http://${info.ip}:8080/get_and_increment_counter`;
    const published = `http://${hostIp}:${ports.http}/get_and_increment_counter`;
    for (let i = 0; ; i++) {
      const r = await run(['curl', '-sf', '-m', '1', direct]);
      if (r.code === 0) break;
      if (i > 50) throw new Error('the counter service did not answer within 5 s');
      await ctx.sleep(100);
    }
    await runOk(['curl', '-sf', '-m', '2', published]);
    const wrk = async (url: string) => {
      const r = await runOk(['wrk', '-c32', '-t2', '-d5s', url], { timeoutMs: 20_000 });
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
      const errs = /Socket errors:.*|Non-2xx.*/.exec(r.stdout)?.[0];
      if (errs) g.notes.push(`wrk ${url}: ${errs.trim()}`);
      return rps;
    };
    const d: number[] = [];
    const p: number[] = [];
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        d.push(await wrk(direct));
        p.push(await wrk(published));
      } else {
        p.push(await wrk(published));
        d.push(await wrk(direct));
      }
    }
    await c('stop', '-t', '0', 'cbench-http');
    // Each round's two runs are back to back: their ratio cancels the slow drift of the machine.
    const pairs = p.map((x, k) => x / d[k]!);
    const ratio = median(pairs);
    g.rows.push(
      row('direct: container IP over the veth', d, {
        note: `${rounds} runs of 5 s (slow figure)`,
        command: `wrk -c32 -t2 -d5s http://CONTAINER_IP:8080/get_and_increment_counter`,
      }),
    );
    g.rows.push(
      row(`published: host address ${hostIp}:${ports.http} (DNAT + SNAT)`, p, {
        conductor: true,
        command: `wrk -c32 -t2 -d5s http://HOST_IP:${ports.http}/get_and_increment_counter`,
      }),
    );
    g.rows[1]!.ratio = ratio;
    g.notes.push(
      'The C counter-service from conductorfiles/counter-service.Conductorfile, ' +
        `built in the bench root. ${rounds} rounds of 5 s each, alternating which path goes first; ` +
        "wrk runs on the host (2 cores shared with the server, so the NAT's per-packet work " +
        'comes straight out of the throughput). ' +
        ('The ratio is the median of the per-round ratios published/direct ' +
          `(${pairs.map((x) => x.toFixed(2)).join(', ')}), which cancels the machine's drift; ` +
          `the ratio of the medians is ${(median(p) / median(d)).toFixed(2)}.`),
    );
    ctx.verdict({
      group: 'http',
      figure: 'HTTP published port / veth',
      conductor: fmt(median(p), 'req/s'),
      peer: `direct ${fmt(median(d), 'req/s')}`,
      ratio: `${ratio.toFixed(2)}×`,
      target: '≥ 0.9× direct',
      pass: ratio >= 0.9,
    });
  },
};
