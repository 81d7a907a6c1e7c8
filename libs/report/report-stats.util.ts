/** Quantile of an ascending array, linear between closest ranks (numpy's default, as the bench lib uses). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return a + (h - lo) * (b - a);
}

export interface BoxStats {
  /** [lower whisker, Q1, median, Q3, upper whisker], the order ECharts' boxplot series reads. */
  box: [number, number, number, number, number];
  outliers: number[];
}

/** Tukey box: whiskers at the furthest samples within 1.5 IQR of the quartiles; the rest are outliers. */
export function boxStats(samples: readonly number[]): BoxStats | null {
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) {
    return null;
  }
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const fence = 1.5 * (q3 - q1);
  const inside = sorted.filter((v) => v >= q1 - fence && v <= q3 + fence);
  const low = inside[0] ?? q1;
  const high = inside[inside.length - 1] ?? q3;
  return {
    box: [low, q1, quantile(sorted, 0.5), q3, high],
    outliers: sorted.filter((v) => v < low || v > high),
  };
}

/** At most `limit` values, evenly spaced through the array, so a 100k-sample run stays a light page. */
export function thin(values: readonly number[], limit: number): number[] {
  if (values.length <= limit) {
    return [...values];
  }
  const step = values.length / limit;
  return Array.from({ length: limit }, (_, i) => values[Math.floor(i * step)]!);
}
