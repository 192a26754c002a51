/** BENCHMARKS.md: a summary of the targets, then one table and one chart per group. */
import { formatNumber } from './svg.ts';
import type { Summary } from './stats.ts';

export interface Row {
  label: string;
  /** The exact command (shown in the table), if it is one. */
  command?: string;
  summary: Summary;
  /** conductor's own row(s): drawn in the accent colour; the reference for the ratio column. */
  conductor?: boolean;
  /** Ratio column: conductor's median / this row's median (set by the group). */
  ratio?: number;
  note?: string;
}

export interface Group {
  id: string;
  title: string;
  unit: string;
  higherIsBetter?: boolean;
  rows: Row[];
  notes: string[];
  /** Set when the group did not complete. */
  error?: string;
  /** Rendered chart file, relative to the repository root. */
  chart?: string;
  /** Which rows the chart shows (default: all). */
  chartRows?: (r: Row) => boolean;
  /** Ratio header, e.g. "conductor/this". */
  ratioHeader?: string;
  target?: { value: number; label: string };
}

export interface Verdict {
  figure: string;
  conductor: string;
  peer: string;
  ratio: string;
  target: string;
  pass: boolean | null;
  group: string;
}

export function fmt(v: number, unit: string): string {
  return `${formatNumber(v)} ${unit}`.trim();
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function groupTable(g: Group): string {
  const single = g.rows.every((r) => r.summary.runs <= 1);
  const hasRatio = g.rows.some((r) => r.ratio !== undefined);
  const head = single ? ['', 'value'] : ['', 'median', 'p90', 'min–max', 'runs'];
  if (hasRatio) head.push(g.ratioHeader ?? 'conductor/this');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of g.rows) {
    const s = r.summary;
    const label =
      `${r.conductor ? '**' : ''}${r.label}${r.conductor ? '**' : ''}` +
      `${r.command ? `<br><sub>\`${cell(r.command)}\`</sub>` : ''}` +
      `${r.note ? `<br><sub>${cell(r.note)}</sub>` : ''}`;
    const cols = single
      ? [label, fmt(s.median, g.unit)]
      : [
          label,
          fmt(s.median, g.unit),
          fmt(s.p90, g.unit),
          `${formatNumber(s.min)}–${formatNumber(s.max)}`,
          String(s.runs),
        ];
    if (hasRatio) cols.push(r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`);
    lines.push(`| ${cols.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function verdictTable(vs: Verdict[]): string {
  const lines = ['| figure | conductor | peer | ratio | target | result |', '|---|---:|---:|---:|---|---|'];
  for (const v of vs) {
    const res = v.pass === null ? 'not measured' : v.pass ? '**pass**' : '**MISS**';
    lines.push(
      `| [${cell(v.figure)}](#${v.group}) | ${cell(v.conductor)} ` +
        `| ${cell(v.peer)} | ${cell(v.ratio)} | ${cell(v.target)} | ${res} |`,
    );
  }
  return lines.join('\n');
}
