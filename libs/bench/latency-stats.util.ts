import { BenchError } from './bench.exception.js';
import { type LatencyStats } from './bench.types.js';
import { createPrng } from './prng.util.js';

const BOOTSTRAP_RESAMPLES = 2000;

/**
 * Quantile of an ascending array by linear interpolation between closest ranks
 * (Hyndman & Fan type 7, numpy's default): h = (n - 1) * q, x[floor h] + frac(h) * (x[ceil h] - x[floor h]).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) {
    throw new BenchError('INVALID_INPUT', 'quantile of an empty sample');
  }
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/**
 * Descriptive stats plus a percentile-bootstrap 95 % CI of the median (seeded, so the same samples
 * always give the same interval).
 */
export function computeLatencyStats(samplesMs: readonly number[], seed = 1): LatencyStats {
  const n = samplesMs.length;
  if (n === 0) {
    throw new BenchError('INVALID_INPUT', 'no latency samples');
  }
  const sorted = Float64Array.from(samplesMs).sort();
  const median = quantileSorted(sorted, 0.5);
  let sum = 0;
  for (const v of sorted) {
    sum += v;
  }
  const mean = sum / n;
  let sq = 0;
  for (const v of sorted) {
    sq += (v - mean) ** 2;
  }
  const deviations = sorted.map((v) => Math.abs(v - median)).sort();
  const [lo, hi] = bootstrapMedianCi(sorted, seed);
  return {
    median,
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    mean,
    stddev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mad: quantileSorted(deviations, 0.5),
    // The percentile interval can, for tiny or lumpy samples, miss the sample median; widen it so
    // the reported interval always brackets the point estimate.
    ci95: [Math.min(lo, median), Math.max(hi, median)],
    count: n,
  };
}

/**
 * Resampling indices into the sorted array and counting them gives each resample's order statistics
 * in O(n) (no per-resample sort), so 2000 resamples stay cheap even for 10^5 samples.
 */
function bootstrapMedianCi(sorted: Float64Array, seed: number): [number, number] {
  const n = sorted.length;
  const random = createPrng(seed);
  const counts = new Uint32Array(n);
  const medians = new Float64Array(BOOTSTRAP_RESAMPLES);
  const h = (n - 1) * 0.5;
  const rankLo = Math.floor(h);
  const rankHi = Math.min(rankLo + 1, n - 1);
  for (let r = 0; r < BOOTSTRAP_RESAMPLES; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      counts[Math.floor(random() * n)]!++;
    }
    let seen = 0;
    let lo = NaN;
    let hi = NaN;
    for (let i = 0; i < n; i++) {
      seen += counts[i]!;
      if (Number.isNaN(lo) && seen > rankLo) {
        lo = sorted[i]!;
      }
      if (seen > rankHi) {
        hi = sorted[i]!;
        break;
      }
    }
    medians[r] = lo + (h - rankLo) * (hi - lo);
  }
  medians.sort();
  return [quantileSorted(medians, 0.025), quantileSorted(medians, 0.975)];
}
