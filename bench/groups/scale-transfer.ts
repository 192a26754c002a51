/** A container's transfer to the host's own address at N networked containers (the scale curves). */
import { curveGroup, ratioOf } from '../lib/scale-curve.ts';
import { LEVELS } from '../lib/scale-fleet.ts';

export const scaleTransferGroup = curveGroup({
  id: 'scale-transfer',
  title: `Container → host address transfer, with N = ${LEVELS.join(', ')} networked containers`,
  estimateMs: 5_000,
  unit: 'MB/s',
  higherIsBetter: true,
  pick: (l) => l.transfer,
  command: "conductor exec cbench-s1 -- bash -c 'head -c 500000000 /dev/zero > /dev/tcp/HOST_IP/24099'",
  note:
    "500 MB from the first container (`--allow-host 24099`) to a TCP sink on the host's own " +
    'non-loopback address (never a foreign one), timed by the sink from first to last byte; 4 runs at each N. ' +
    'A local destination is not forwarded: each packet walks CONDUCTOR-INPUT, where the per-container ' +
    'rules (resolvers, --allow-host ports) were.',
  verdict: (a, b) => ({
    figure: 'container → host transfer, N = 200 / N = 1',
    ratio: ratioOf(a, b),
    target: '≥ 0.90× N = 1',
    pass: a / b >= 0.9,
  }),
});
