/**
 * A scale group: one figure of the scale curves (scale-fleet.ts measures them once per run), its
 * table and chart over N, and its target at N = 200 against N = 1.
 */
import type { BenchContext, GroupDef } from './context.ts';
import type { Group } from './report.ts';
import { fmt } from './report.ts';
import { LEVELS, scaleResult, type ScaleLevel } from './scale-fleet.ts';
import { median } from './stats.ts';

const FLEET_NOTE =
  'N networked containers of the counter-service image (each `addnetwork -i`, every 10th with a ' +
  'published port), grown in parallel batches of 20 (untimed).';
const BASE_NOTE =
  'After N = 200 every container but the first is stopped and N = 1 measured again; the ratios are ' +
  'over the median of both N = 1 rows, which cancels a drift of the machine between the first level and the last.';

export interface Curve {
  id: string;
  title: string;
  unit: string;
  higherIsBetter?: boolean;
  pick: (l: ScaleLevel) => number[];
  command: string;
  note: string;
  /** The first scale group measures the fleet; the others only show what it measured. */
  estimateMs: number;
  /** The verdict at N = 200 from the medians at N = 200 and N = 1. */
  verdict: (at200: number, at1: number) => { figure: string; ratio: string; target: string; pass: boolean };
}

export function curveGroup(cv: Curve): GroupDef {
  return {
    id: cv.id,
    title: cv.title,
    unit: cv.unit,
    higherIsBetter: cv.higherIsBetter,
    estimateMs: cv.estimateMs,
    ratioHeader: 'this/N=1',
    needs: ['demo-images'],
    async body(ctx: BenchContext, g: Group) {
      const res = await scaleResult(ctx);
      const first = res.levels[0]!;
      for (const l of res.levels) {
        const label = l.again ? 'N = 1 again (the others stopped)' : `N = ${l.n}`;
        g.rows.push(ctx.row(label, cv.pick(l), l === first ? { conductor: true, command: cv.command } : {}));
      }
      // The baseline: both N = 1 levels' samples (first and last measured), which cancels a drift.
      const base = median(res.levels.filter((l) => l.n === 1).flatMap(cv.pick));
      for (const r of g.rows) if (!r.conductor) r.ratio = r.summary.median / base;
      g.notes.push(FLEET_NOTE, BASE_NOTE, cv.note, ...res.notes);
      const at200 = median(cv.pick(res.levels.find((l) => l.n === LEVELS.at(-1))!));
      const v = cv.verdict(at200, base);
      const peer = `N = 1 (before and after): ${fmt(base, cv.unit)}`;
      ctx.verdict({ group: cv.id, conductor: fmt(at200, cv.unit), peer, ...v });
    },
  };
}

export const ratioOf = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
