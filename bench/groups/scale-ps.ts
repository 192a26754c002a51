/** `ps` at N networked containers (the scale curves). */
import { curveGroup, ratioOf } from '../lib/scale-curve.ts';
import { LEVELS } from '../lib/scale-fleet.ts';

export const scalePsGroup = curveGroup({
  id: 'scale-ps',
  title: `ps with N = ${LEVELS.join(', ')} networked containers`,
  estimateMs: 5_000,
  unit: 'ms',
  pick: (l) => l.ps,
  command: 'node dist/conductor.cjs ps',
  note: '5 timed runs after one warm-up; the bench root holds the N containers.',
  verdict: (a, b) => ({ figure: 'ps at N = 200', ratio: ratioOf(a, b), target: '≤ 100 ms', pass: a <= 100 }),
});
