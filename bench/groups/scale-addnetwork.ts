/** addnetwork -i of one more container at N networked containers (the scale curves). */
import { curveGroup, ratioOf } from '../lib/scale-curve.ts';
import { LEVELS } from '../lib/scale-fleet.ts';

export const scaleAddnetworkGroup = curveGroup({
  id: 'scale-addnetwork',
  title: `addnetwork -i of one more container, with N = ${LEVELS.join(', ')} networked containers`,
  // It builds the shared fleet (200 containers): 134 s on 2026-12-04, before N = 1 was measured
  // again at the end (~30 s more); 720 s had the budget skip it.
  estimateMs: 240_000,
  unit: 'ms',
  pick: (l) => l.addnetwork,
  command: 'node dist/conductor.cjs addnetwork cbench-probe -i',
  note: 'A fresh detached probe container before each of 8 timed runs (untimed, one warm-up).',
  verdict: (a, b) => ({
    figure: 'addnetwork of the 201st / the 2nd',
    ratio: ratioOf(a, b),
    target: '≤ 1.25× N = 1',
    pass: a / b <= 1.25,
  }),
});
