/** Order statistics of a sample (milliseconds, req/s, KiB: whatever unit the caller uses). */
export interface Summary {
  median: number;
  p90: number;
  min: number;
  max: number;
  runs: number;
}

/** The q-quantile (0..1) of a sorted sample, linearly interpolated between closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(sample: readonly number[]): Summary {
  const s = [...sample].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
    runs: s.length,
  };
}

export function median(sample: readonly number[]): number {
  return summarize(sample).median;
}
