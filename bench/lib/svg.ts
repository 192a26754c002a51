/**
 * A small horizontal bar chart in plain SVG: one bar per row (the median), a whisker from min to
 * max with a tick at p90, an optional dashed target line. No fonts to load, no scripts, no service.
 */
export interface Bar {
  label: string;
  value: number;
  /** Whisker: the sample's range; `p90` adds a tick. Omit for single measurements. */
  min?: number;
  max?: number;
  p90?: number;
  /** conductor's bars are drawn in the accent colour. */
  accent?: boolean;
}

export interface ChartSpec {
  title: string;
  unit: string;
  bars: Bar[];
  target?: { value: number; label: string };
  /** Printed under the title, e.g. "lower is better". */
  note?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 1, 2 or 5 times a power of ten, so that about `n` ticks cover [0, max]. */
function niceStep(max: number, n: number): number {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function barChart(spec: ChartSpec): string {
  const rowH = 30;
  const labelW = Math.min(460, Math.max(120, Math.max(...spec.bars.map((b) => b.label.length)) * 6.6 + 16));
  const plotW = 440;
  const valueW = 110;
  const top = spec.note ? 58 : 44;
  const axisH = 30;
  const width = Math.ceil(labelW + plotW + valueW + 20);
  const height = top + spec.bars.length * rowH + axisH + 8;
  const hi = Math.max(...spec.bars.map((b) => Math.max(b.value, b.max ?? 0)), spec.target?.value ?? 0) || 1;
  const step = niceStep(hi, 5);
  const scaleMax = Math.ceil(hi / step) * step;
  const x = (v: number) => labelW + (Math.max(0, v) / scaleMax) * plotW;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="10" y="22" font-size="15" font-weight="bold" fill="#222">${esc(spec.title)}</text>`);
  if (spec.note) out.push(`<text x="10" y="40" fill="#666">${esc(spec.note)}</text>`);
  const plotBottom = top + spec.bars.length * rowH;
  for (let t = 0; t <= scaleMax + step / 2; t += step) {
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${plotBottom}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${tx}" y="${plotBottom + 16}" text-anchor="middle" fill="#555">${esc(formatNumber(t))}</text>`);
  }
  out.push(
    `<text x="${(labelW + plotW).toFixed(1)}" y="${plotBottom + 28}" ` +
      `text-anchor="end" fill="#555">${esc(spec.unit)}</text>`,
  );
  spec.bars.forEach((b, i) => {
    const y = top + i * rowH;
    const cy = y + rowH / 2;
    out.push(`<text x="${labelW - 8}" y="${cy + 4}" text-anchor="end" fill="#222">${esc(b.label)}</text>`);
    const w = Math.max(1, x(b.value) - labelW);
    out.push(
      `<rect x="${labelW}" y="${y + 6}" width="${w.toFixed(1)}" ` +
        `height="${rowH - 12}" fill="${b.accent ? '#d9622b' : '#5b7fa6'}" rx="2"/>`,
    );
    if (b.min !== undefined && b.max !== undefined) {
      const x1 = x(b.min).toFixed(1);
      const x2 = x(b.max).toFixed(1);
      out.push(`<line x1="${x1}" y1="${cy}" x2="${x2}" y2="${cy}" stroke="#222" stroke-width="1.2"/>`);
      out.push(`<line x1="${x1}" y1="${cy - 5}" x2="${x1}" y2="${cy + 5}" stroke="#222" stroke-width="1.2"/>`);
      out.push(`<line x1="${x2}" y1="${cy - 5}" x2="${x2}" y2="${cy + 5}" stroke="#222" stroke-width="1.2"/>`);
      if (b.p90 !== undefined) {
        const xp = x(b.p90).toFixed(1);
        out.push(`<line x1="${xp}" y1="${cy - 3}" x2="${xp}" y2="${cy + 3}" stroke="#222" stroke-width="2.4"/>`);
      }
    }
    const tx = Math.max(x(b.value), b.max !== undefined ? x(b.max) : 0) + 6;
    out.push(`<text x="${tx.toFixed(1)}" y="${cy + 4}" fill="#222">${esc(formatNumber(b.value))}</text>`);
  });
  if (spec.target) {
    const tx = x(spec.target.value).toFixed(1);
    out.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${plotBottom}" ` +
        'stroke="#2a9d4b" stroke-width="1.5" stroke-dasharray="5 3"/>',
    );
    out.push(`<text x="${tx}" y="${top - 9}" text-anchor="middle" fill="#2a9d4b">${esc(spec.target.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
