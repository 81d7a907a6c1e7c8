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
 * Night-to-night relative noise of a series: 1.4826 x the median absolute successive difference, / sqrt 2, / the
 * median level. Unlike relativeNoise, a level shift inside the window barely moves it, so one past
 * regression does not make a gate blind to the next one. 0 below 3 values.
 */
export function successiveNoise(values: readonly number[]): number {
  if (values.length < 3) {
    return 0;
  }
  const level = median(values);
  if (!(level > 0)) {
    return 0;
  }
  const diffs = values.slice(1).map((v, i) => Math.abs(v - (values[i] as number)));
  return (1.4826 * median(diffs)) / Math.SQRT2 / level;
}

/**
 * A series' noise for the gate's practical threshold: the smaller of relativeNoise (the MAD of the
 * values: right for independent nights, even bimodal ones, whose successive differences jump between
 * the modes) and successiveNoise (right when the window holds a level shift, which the MAD counts as
 * noise). Each one overestimates in the other's case; neither underestimates in its own.
 */
export function seriesNoise(values: readonly number[]): number {
  return Math.min(relativeNoise(values), successiveNoise(values));
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
