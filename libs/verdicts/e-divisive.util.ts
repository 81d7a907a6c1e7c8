import { hodgesLehmannShift, mean, median, quantileOfSorted } from './descriptive.util.js';
import { createPrng, shuffleInPlace } from './prng.util.js';
import { kolmogorovSmirnov, mannWhitneyU } from './rank-tests.util.js';
import { welchTTest } from './t-test.util.js';
import type {
  ChangePoint,
  ChangePointSignificance,
  ConfirmationOptions,
  EDivisiveOptions,
} from './verdicts.types.js';

interface Split {
  /** Offset, within the segment, of the first value on the right. */
  tau: number;
  q: number;
}

/** Default split alpha per significance test (see EDivisiveOptions.alpha). */
export const DEFAULT_SPLIT_ALPHA: Readonly<Record<ChangePointSignificance, number>> = {
  permutation: 0.01,
  ttest: 0.001,
};

/**
 * Best split of one segment by the divergence-weighted energy statistic of Matteson & James
 * (E-divisive), on a precomputed distance matrix read in the order `order` (a permutation of the
 * segment, or the identity):
 *   Q(tau) = m n / (m + n) * (2/(m n) sum d(x,y) - 1/C(m,2) sum d(x,x') - 1/C(n,2) sum d(y,y')).
 * Within-side sums are updated incrementally from per-point row sums, so a segment costs O(L^2)
 * rather than O(L^3); that is what makes hundreds of permutations per test affordable.
 */
function bestSplit(distance: Float64Array, order: Uint32Array, minSegment: number): Split | undefined {
  const n = order.length;
  if (n < 2 * minSegment) {
    return undefined;
  }
  const leftSum = new Float64Array(n);
  const rightSum = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = (order[i] as number) * n;
    for (let k = i + 1; k < n; k++) {
      const d = distance[row + (order[k] as number)] as number;
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

/**
 * Pairwise distances of one segment for the chosen metric. 'kernel' is 1 - exp(-(x-y)^2 / 2h^2)
 * with h = the segment's 1.4826 x MAD (a Gaussian-kernel MMD, still a valid energy distance): values
 * more than a few noise widths apart count as simply different, so on a bimodal series the 15 %
 * gap between the modes weighs no more than a 5 % shift of both, and a spike weighs no more
 * than any other outlier.
 */
function distances(values: Float64Array, metric: 'rank' | 'value' | 'kernel'): Float64Array {
  const n = values.length;
  // Latency noise is multiplicative: a model 3x slower is 3x noisier in milliseconds. On the log scale
  // both levels have one noise width, so the kernel does not saturate inside the noisier segment.
  const logScale = metric === 'kernel' && values.every((v) => v > 0);
  const x = metric === 'rank' ? ranks(values) : logScale ? values.map(Math.log) : values;
  let h = 0;
  if (metric === 'kernel') {
    h = KERNEL_BANDWIDTH * noiseScale(x);
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = i + 1; k < n; k++) {
      const diff = Math.abs((x[i] as number) - (x[k] as number));
      const d = metric === 'kernel' ? 1 - Math.exp(-(diff * diff) / (2 * h * h)) : diff;
      out[i * n + k] = d;
      out[k * n + i] = d;
    }
  }
  return out;
}

const KERNEL_BANDWIDTH = 1;

/**
 * Noise width of a series from its consecutive differences: the 25th percentile of |x[i+1] - x[i]|
 * over its Gaussian value (0.3186 sqrt(2) sigma). Differences ignore a level shift, and the lower
 * quartile stays inside one mode of a bimodal series as long as the minority mode is under ~40 %.
 */
function noiseScale(values: Float64Array): number {
  const diffs = new Float64Array(values.length - 1);
  for (let i = 1; i < values.length; i++) {
    diffs[i - 1] = Math.abs((values[i] as number) - (values[i - 1] as number));
  }
  const h = quantileOfSorted(diffs.sort(), 0.25) / (0.3186 * Math.SQRT2);
  return h > 0 ? h : Math.max(1e-12, Math.abs(median(values)) * 1e-9);
}

/** Mid-ranks (ties share the mean of their ranks), 1-based. */
function ranks(values: Float64Array): Float64Array {
  const order = Array.from(values.keys()).sort((x, y) => (values[x] as number) - (values[y] as number));
  const out = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1] as number] === values[order[i] as number]) {
      j++;
    }
    for (let k = i; k <= j; k++) {
      out[order[k] as number] = (i + j) / 2 + 1;
    }
    i = j + 1;
  }
  return out;
}

function segmentSummary(series: readonly number[], start: number, end: number): ChangePoint['before'] {
  return { start, end, mean: mean(series, start, end), median: median(series.slice(start, end)) };
}

function summarize(
  series: readonly number[],
  cuts: readonly number[],
  index: number,
  pValue: number,
  significance: ChangePointSignificance,
  withConfirmation: boolean,
): ChangePoint {
  const at = cuts.indexOf(index);
  const start = at > 0 ? (cuts[at - 1] as number) : 0;
  const end = at + 1 < cuts.length ? (cuts[at + 1] as number) : series.length;
  const before = segmentSummary(series, start, index);
  const after = segmentSummary(series, index, end);
  const left = series.slice(start, index);
  const right = series.slice(index, end);
  return {
    index,
    before,
    after,
    relativeChange: hodgesLehmannShift(left, right) / before.median,
    meanRelativeChange: (after.mean - before.mean) / before.mean,
    pValue,
    significance,
    confirmationPValue: withConfirmation
      ? Math.min(mannWhitneyU(left, right).pValue, kolmogorovSmirnov(left, right).pValue)
      : Number.NaN,
  };
}

function validate(series: readonly number[], minSegment: number, permutations: number, alpha: number): void {
  if (!series.every(Number.isFinite)) {
    throw new RangeError('series values must be finite');
  }
  if (!Number.isSafeInteger(minSegment) || minSegment < 2) {
    throw new RangeError('minSegment must be an integer >= 2');
  }
  if (!Number.isSafeInteger(permutations) || permutations < 1) {
    throw new RangeError('permutations must be a positive integer');
  }
  if (!(alpha > 0 && alpha < 1)) {
    throw new RangeError('alpha must lie in (0, 1)');
  }
}

/** Fewest points on either side of a cut. */
const DEFAULT_MIN_SEGMENT = 5;

/**
 * E-divisive means change points (as Apache Otava / Hunter): split the segment at its best energy
 * statistic, keep the split when it is significant, and recurse into both halves.
 * - significance 'permutation': values shuffled within the segment, p = (1 + #{Q* >= Q}) /
 *   (permutations + 1); no normality assumption, and it accounts for the split being the best of
 *   many, so heavy-tailed or bimodal nightly values do not break it.
 * - significance 'ttest': Welch's t-test of the two sides (Otava's test).
 * With metric 'rank' (default) each segment is ranked before the energy statistic, which makes the
 * split rank-based: on a 70/30 bimodal series the raw distances are dominated by the gap between
 * the modes, and a shift of both modes barely moves them.
 * Returns change points in index order, each summarized against its neighbouring change points.
 */
export function eDivisive(series: readonly number[], options: EDivisiveOptions = {}): ChangePoint[] {
  const {
    minSegment = DEFAULT_MIN_SEGMENT,
    significance = 'permutation',
    metric = 'kernel',
    permutations = 199,
    seed = 1,
  } = options;
  const alpha = options.alpha ?? DEFAULT_SPLIT_ALPHA[significance];
  validate(series, minSegment, permutations, alpha);
  const random = createPrng(seed);
  const found = new Map<number, number>();
  // Explicit stack rather than recursion; left halves first so the PRNG stream is used in a fixed order.
  const stack: Array<[number, number]> = [[0, series.length]];
  while (stack.length > 0) {
    const [start, end] = stack.pop() as [number, number];
    const raw = Float64Array.from(series.slice(start, end));
    const distance = distances(raw, metric);
    const order = Uint32Array.from(raw.keys());
    const split = bestSplit(distance, order, minSegment);
    if (split === undefined || !(split.q > 0)) {
      continue;
    }
    let pValue: number;
    if (significance === 'ttest') {
      pValue = welchTTest(raw.subarray(0, split.tau), raw.subarray(split.tau)).pValue;
    } else {
      const shuffled = Array.from(order);
      let atLeast = 0;
      for (let p = 0; p < permutations; p++) {
        shuffleInPlace(shuffled, random);
        const permuted = bestSplit(distance, Uint32Array.from(shuffled), minSegment);
        if (permuted !== undefined && permuted.q >= split.q) {
          atLeast++;
        }
      }
      pValue = (1 + atLeast) / (permutations + 1);
    }
    if (pValue >= alpha) {
      continue;
    }
    const cut = start + split.tau;
    found.set(cut, pValue);
    stack.push([cut, end], [start, cut]);
  }
  const cuts = [...found.keys()].sort((x, y) => x - y);
  return cuts.map((index) => summarize(series, cuts, index, found.get(index) as number, significance, false));
}

/**
 * Change points that later runs confirm. A candidate from eDivisive is kept when, against its
 * neighbouring kept change points:
 * - at least `confirmations` points exist at or after it;
 * - |Hodges-Lehmann shift| / median before >= minRelativeChange;
 * - a Mann-Whitney test of the WHOLE segment before against the WHOLE segment after gives
 *   p < confirmationAlpha.
 * The last two are rank-based, so a single spike moves neither, and a bimodal series is judged by
 * how its points order, not by a mean the slow mode drags around. Candidates failing a rule are
 * dropped weakest first (largest confirmation p), one at a time, re-summarizing the survivors each
 * time, since dropping a change point merges the segments on either side of it (as Otava's
 * weakest-first merge does).
 */
export function confirmedChangePoints(
  series: readonly number[],
  options: EDivisiveOptions = {},
  { confirmations = 3, minRelativeChange = 0.02, confirmationAlpha = 0.01 }: ConfirmationOptions = {},
): ChangePoint[] {
  if (!Number.isSafeInteger(confirmations) || confirmations < 1) {
    throw new RangeError('confirmations must be a positive integer');
  }
  const significance = options.significance ?? 'permutation';
  const candidates = eDivisive(series, options);
  const pValues = new Map(candidates.map((cp) => [cp.index, cp.pValue]));
  let cuts = candidates.map((cp) => cp.index);
  for (;;) {
    const current = cuts.map((index) =>
      summarize(series, cuts, index, pValues.get(index) as number, significance, true),
    );
    const failing = current.filter(
      (cp) =>
        series.length - cp.index < confirmations ||
        !(Math.abs(cp.relativeChange) >= minRelativeChange) ||
        !(cp.confirmationPValue < confirmationAlpha),
    );
    if (failing.length === 0) {
      return current;
    }
    const weakest = failing.reduce((w, cp) => (cp.confirmationPValue > w.confirmationPValue ? cp : w));
    cuts = cuts.filter((index) => index !== weakest.index);
  }
}

export interface NewChangePointOptions extends ConfirmationOptions {
  /** A confirmed change point within this many indices of a reported one is the same one. */
  tolerance?: number;
}

/**
 * What the nightly job should report after appending a point: the confirmed change points of the
 * whole series that are not within `tolerance` of one reported before. The detector reruns on the
 * full series every night (a change point's index may move by one or two as later points arrive,
 * hence the tolerance); the caller stores the indices it reported and passes them back. For very
 * long series pass a trailing window and shift the stored indices accordingly.
 */
export function newChangePoints(
  series: readonly number[],
  alreadyReported: readonly number[],
  options: EDivisiveOptions = {},
  { tolerance = 2, ...confirmation }: NewChangePointOptions = {},
): ChangePoint[] {
  return confirmedChangePoints(series, options, confirmation).filter(
    (cp) => !alreadyReported.some((index) => Math.abs(index - cp.index) <= tolerance),
  );
}

/** What the nightly job does with a series after appending a point (nightlyDecisions). */
export interface NightlyDecisions {
  /** Change points reported for the first time. */
  added: ChangePoint[];
  /** An earlier report (its index) that is the same change, moved: `to` is where it is now. */
  moved: { from: number; to: ChangePoint }[];
}

/**
 * newChangePoints, and which of its "new" change points are an earlier report moved. A cut can only
 * fall `minSegment` points before the series' end, so while the points after a change are fewer than
 * that, the cut that is confirmed may sit before the change: at night 13 of a series slow from night 10,
 * with nights 6-9 a few percent above 0-5 (a loaded machine), the cut was confirmed at 6; one night later
 * it was at 10, four nights away, and was reported a second time (test/integration/nightly.spec.ts
 * failed so in CI). A reported index that no confirmed change point is near any more, at most
 * `minSegment` points before a new one, is that one moved; each report moves once.
 */
export function nightlyDecisions(
  series: readonly number[],
  alreadyReported: readonly number[],
  options: EDivisiveOptions = {},
  { tolerance = 2, ...confirmation }: NewChangePointOptions = {},
): NightlyDecisions {
  const confirmed = confirmedChangePoints(series, options, confirmation);
  const near = (a: number, b: number): boolean => Math.abs(a - b) <= tolerance;
  const orphans = alreadyReported.filter((index) => !confirmed.some((cp) => near(cp.index, index)));
  const maxMove = options.minSegment ?? DEFAULT_MIN_SEGMENT;
  const decisions: NightlyDecisions = { added: [], moved: [] };
  for (const cp of confirmed.filter((c) => !alreadyReported.some((index) => near(c.index, index)))) {
    const from = orphans.findIndex((index) => index < cp.index && cp.index - index <= maxMove);
    if (from >= 0) {
      decisions.moved.push({ from: orphans[from]!, to: cp });
      orphans.splice(from, 1);
    } else {
      decisions.added.push(cp);
    }
  }
  return decisions;
}
