/** Published-port HTTP from another host at N networked containers (the scale curves). */
import { curveGroup, ratioOf } from '../lib/scale-curve.ts';
import { LEVELS } from '../lib/scale-fleet.ts';

export const scaleHttpGroup = curveGroup({
  id: 'scale-http',
  title: `Published-port HTTP from another host, with N = ${LEVELS.join(', ')} networked containers`,
  estimateMs: 5_000,
  unit: 'req/s',
  higherIsBetter: true,
  pick: (l) => l.http,
  command: 'ip netns exec OUTSIDE wrk -c32 -t2 -d5s http://OUTSIDE_LINK_ADDR:24100/get_and_increment_counter',
  note:
    'wrk in a network namespace the bench makes, on its own veth link to this host (not a conductor ' +
    "veth): every request crosses PREROUTING's DNAT and conductor's FORWARD matching. 3 runs of 5 s at each N.",
  verdict: (a, b) => ({
    figure: 'published-port HTTP, N = 200 / N = 1',
    ratio: ratioOf(a, b),
    target: '≥ 0.90× N = 1',
    pass: a / b >= 0.9,
  }),
});
