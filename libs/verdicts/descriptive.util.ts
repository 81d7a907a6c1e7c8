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
