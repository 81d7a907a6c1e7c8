import { mean, median } from './descriptive.util.js';
import { createPrng, shuffleInPlace } from './prng.util.js';
import type { ChangePoint, ConfirmationOptions, EDivisiveOptions } from './verdicts.types.js';

interface Split {
  /** Offset, within the segment, of the first value on the right. */
  tau: number;
  q: number;
}

/**
 * Best split of one segment by the divergence-weighted energy statistic of Matteson & James
 * (E-divisive, distance exponent 1):
 *   Q(tau) = m n / (m + n) * (2/(m n) sum|x-y| - 1/C(m,2) sum|x-x'| - 1/C(n,2) sum|y-y'|).
 * Within-side sums are updated incrementally from per-point row sums, so a segment costs O(L^2)
 * rather than O(L^3); that is what makes hundreds of permutations per test affordable.
 */
function bestSplit(values: Float64Array, minSegment: number): Split | undefined {
  const n = values.length;
  if (n < 2 * minSegment) {
    return undefined;
  }
  const leftSum = new Float64Array(n);
  const rightSum = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xi = values[i] as number;
    for (let k = i + 1; k < n; k++) {
      const d = Math.abs(xi - (values[k] as number));
      rightSum[i] = (rightSum[i] as number) + d;
      leftSum[k] = (leftSum[k] as number) + d;
      total += d;
    }
  }
  let withinLeft = 0;
  let withinRight = total;
  let best: Split | undefined;
  for (let tau = 0; tau <= n - minSegment; tau++) {
    if (tau >= minSegment) {
      const m = tau;
      const r = n - tau;
      const cross = total - withinLeft - withinRight;
      const q =
        ((m * r) / (m + r)) *
        ((2 * cross) / (m * r) - withinLeft / ((m * (m - 1)) / 2) - withinRight / ((r * (r - 1)) / 2));
      if (best === undefined || q > best.q) {
        best = { tau, q };
      }
    }
    withinLeft += leftSum[tau] as number;
    withinRight -= rightSum[tau] as number;
  }
  return best;
}

function summarize(
  series: readonly number[],
  cuts: readonly number[],
  index: number,
  pValue: number,
): ChangePoint {
  const at = cuts.indexOf(index);
  const start = at > 0 ? (cuts[at - 1] as number) : 0;
  const end = at + 1 < cuts.length ? (cuts[at + 1] as number) : series.length;
  const before = { start, end: index, mean: mean(series, start, index) };
  const after = { start: index, end, mean: mean(series, index, end) };
  return { index, before, after, relativeChange: (after.mean - before.mean) / before.mean, pValue };
}

function validate(series: readonly number[], minSegment: number, permutations: number): void {
  if (!series.every(Number.isFinite)) {
    throw new RangeError('series values must be finite');
  }
  if (!Number.isSafeInteger(minSegment) || minSegment < 2) {
    throw new RangeError('minSegment must be an integer >= 2');
  }
  if (!Number.isSafeInteger(permutations) || permutations < 1) {
    throw new RangeError('permutations must be a positive integer');
  }
}

/**
 * E-divisive means change points (as Apache Otava / Hunter): split the segment at its best energy
 * statistic, keep the split when a permutation test finds it significant, and recurse into both
 * halves. The permutation test (values shuffled within the segment, p = (1 + #{Q* >= Q}) /
 * (permutations + 1)) makes no normality assumption, so heavy-tailed or bimodal nightly values do not
 * break it the way a t-test would. Returns change points in index order, each summarized against its
 * neighbouring change points.
 */
export function eDivisive(series: readonly number[], options: EDivisiveOptions = {}): ChangePoint[] {
  const { minSegment = 5, alpha = 0.05, permutations = 199, seed = 1 } = options;
  validate(series, minSegment, permutations);
  const random = createPrng(seed);
  const found = new Map<number, number>();
  // Explicit stack rather than recursion; left halves first so the PRNG stream is used in a fixed order.
  const stack: Array<[number, number]> = [[0, series.length]];
  while (stack.length > 0) {
    const [start, end] = stack.pop() as [number, number];
    const segment = Float64Array.from(series.slice(start, end));
    const split = bestSplit(segment, minSegment);
    if (split === undefined || !(split.q > 0)) {
      continue;
    }
    const shuffled = Float64Array.from(segment);
    let atLeast = 0;
    for (let p = 0; p < permutations; p++) {
      shuffleInPlace(shuffled, random);
      const permuted = bestSplit(shuffled, minSegment);
      if (permuted !== undefined && permuted.q >= split.q) {
        atLeast++;
      }
    }
    const pValue = (1 + atLeast) / (permutations + 1);
    if (pValue >= alpha) {
      continue;
    }
    const cut = start + split.tau;
    found.set(cut, pValue);
    stack.push([cut, end], [start, cut]);
  }
  const cuts = [...found.keys()].sort((x, y) => x - y);
  return cuts.map((index) => summarize(series, cuts, index, found.get(index) as number));
}

/**
 * Change points that later runs confirm: at least `confirmations` points at or after the change, whose
 * median sits nearer the new level than the old one, and a change of at least `minRelativeChange`.
 * A single spike can then never be reported: it is neither a segment (minSegment) nor followed by
 * points at its level. Survivors are re-summarized against each other, since dropping a change point
 * merges the segments on either side of it.
 */
export function confirmedChangePoints(
  series: readonly number[],
  options: EDivisiveOptions = {},
  { confirmations = 3, minRelativeChange = 0 }: ConfirmationOptions = {},
): ChangePoint[] {
  if (!Number.isSafeInteger(confirmations) || confirmations < 1) {
    throw new RangeError('confirmations must be a positive integer');
  }
  const kept = eDivisive(series, options).filter((cp) => {
    if (series.length - cp.index < confirmations || Math.abs(cp.relativeChange) < minRelativeChange) {
      return false;
    }
    const next = median(series.slice(cp.index, cp.index + confirmations));
    return Math.abs(next - cp.after.mean) < Math.abs(next - cp.before.mean);
  });
  const cuts = kept.map((cp) => cp.index);
  return kept.map((cp) => summarize(series, cuts, cp.index, cp.pValue));
}
