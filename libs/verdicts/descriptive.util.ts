// Local rather than from #bench: that barrel also loads the runtime adapters, and this library must
// stay pure maths.

export function sortedCopy(values: readonly number[] | Float64Array): Float64Array {
  return Float64Array.from(values).sort();
}

/** Type-7 quantile (linear between closest ranks) of an ascending array. */
export function quantileOfSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) {
    return Number.NaN;
  }
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

export function median(values: readonly number[] | Float64Array): number {
  return quantileOfSorted(sortedCopy(values), 0.5);
}

export function mean(values: readonly number[] | Float64Array, start = 0, end = values.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    sum += values[i] as number;
  }
  return sum / (end - start);
}

/** Robust relative noise: 1.4826 x MAD / median (the MAD scaled to a Gaussian sigma); 0 below 3 values. */
export function relativeNoise(values: readonly number[] | Float64Array): number {
  if (values.length < 3) {
    return 0;
  }
  const m = median(values);
  if (!(Math.abs(m) > 0)) {
    return 0;
  }
  const deviations = Float64Array.from(values, (v) => Math.abs(v - m));
  return (1.4826 * median(deviations)) / Math.abs(m);
}

/**
 * Hodges-Lehmann shift: the median of all after-minus-before differences. Unlike a difference of
 * means it ignores a spike, and unlike a difference of medians it does not jump when a short segment
 * of bimodal values happens to hold more slow-mode points than fast ones.
 */
export function hodgesLehmannShift(
  before: readonly number[] | Float64Array,
  after: readonly number[] | Float64Array,
): number {
  const diffs = new Float64Array(before.length * after.length);
  let k = 0;
  for (const b of before) {
    for (const a of after) {
      diffs[k++] = a - b;
    }
  }
  return quantileOfSorted(diffs.sort(), 0.5);
}
