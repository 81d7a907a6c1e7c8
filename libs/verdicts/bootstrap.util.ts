import { quantileOfSorted } from './descriptive.util.js';
import { createPrng } from './prng.util.js';
import type { BootstrapOptions } from './verdicts.types.js';

function resampledMedian(values: Float64Array, scratch: Float64Array, random: () => number): number {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    scratch[i] = values[Math.floor(random() * n)] as number;
  }
  scratch.sort();
  return quantileOfSorted(scratch, 0.5);
}

/**
 * Percentile-bootstrap 95 % CI of (median(head) - median(base)) / median(base), resampling each side
 * independently (the rounds are interleaved, but a head round is not paired with a base round in any
 * way the medians could use). Percentile rather than BCa: with ten-odd round medians the acceleration
 * estimate is noisier than the bias it corrects.
 */
export function bootstrapRelativeChangeCi(
  base: readonly number[],
  head: readonly number[],
  options: BootstrapOptions,
): [number, number] {
  return bootstrapRelativeChange(base, head, options).ci95;
}

/**
 * The same bootstrap, read at two levels: the 95 % interval that is reported, and the 90 % interval an
 * equivalence decision uses (two one-sided tests at 5 % each: SAME when it lies inside +-threshold).
 */
export function bootstrapRelativeChange(
  base: readonly number[],
  head: readonly number[],
  { resamples, seed }: BootstrapOptions,
): { ci95: [number, number]; ci90: [number, number] } {
  if (base.length === 0 || head.length === 0) {
    throw new RangeError('both samples need at least one value');
  }
  if (!Number.isSafeInteger(resamples) || resamples < 1) {
    throw new RangeError('resamples must be a positive integer');
  }
  const random = createPrng(seed);
  const b = Float64Array.from(base);
  const h = Float64Array.from(head);
  const bScratch = new Float64Array(b.length);
  const hScratch = new Float64Array(h.length);
  const changes = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const mb = resampledMedian(b, bScratch, random);
    const mh = resampledMedian(h, hScratch, random);
    changes[r] = (mh - mb) / mb;
  }
  changes.sort();
  return {
    ci95: [quantileOfSorted(changes, 0.025), quantileOfSorted(changes, 0.975)],
    ci90: [quantileOfSorted(changes, 0.05), quantileOfSorted(changes, 0.95)],
  };
}
