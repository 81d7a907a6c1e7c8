export interface MannWhitneyResult {
  /** U of the first sample: the number of (a, b) pairs with a > b, ties counting one half. */
  u: number;
  pValue: number;
}

export interface KolmogorovSmirnovResult {
  /** Largest distance between the two empirical distribution functions. */
  d: number;
  pValue: number;
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
}

export type LatencyVerdict = 'SAME' | 'REGRESSED' | 'IMPROVED' | 'UNKNOWN';

export interface CompareLatencyOptions {
  /** Significance level for min(Mann-Whitney U, Kolmogorov-Smirnov). */
  alpha?: number;
  /** Smallest relative change that counts, whatever the noise. */
  minEffect?: number;
  /** The series' historical relative noise (for example the coefficient of variation of round medians). */
  noise?: number;
  /** Multiplier k in max(minEffect, k x noise). */
  noiseMultiplier?: number;
  resamples?: number;
  seed?: number;
}

export interface LatencyComparison {
  verdict: LatencyVerdict;
  /** (median(head) - median(base)) / median(base); positive means slower. */
  relativeChange: number;
  ci95: [number, number];
  /** min(Mann-Whitney U, Kolmogorov-Smirnov) p-values. */
  pValue: number;
  mannWhitneyP: number;
  kolmogorovSmirnovP: number;
  /** The practical threshold max(minEffect, k x noise) the change was held against. */
  threshold: number;
  bimodal: boolean;
  reason: string;
}

export type ChangePointSignificance = 'permutation' | 'ttest';

export interface EDivisiveOptions {
  /** No segment shorter than this, so a single spike cannot form a segment of its own. */
  minSegment?: number;
  /**
   * How a candidate split is judged:
   * - 'permutation' (default): the split's energy statistic against the same maximum over shuffled
   *   segments; distribution-free and exact whatever the noise shape;
   * - 'ttest': Welch's t-test of the two sides, as Apache Otava / Hunter; no resampling, so about
   *   two hundred times cheaper, but it assumes roughly normal sides and does not correct for the
   *   split having been chosen as the best one (hence its much smaller default alpha).
   */
  significance?: ChangePointSignificance;
  /** Split p-value threshold; 0.01 for 'permutation', 0.001 (Otava's max_pvalue) for 'ttest'. */
  alpha?: number;
  /**
   * Values the energy statistic is computed on: 'rank' (default) ranks each segment first, so the
   * distance between the two modes of a bimodal series stops drowning a shift of both; 'value' is
   * Matteson & James on the raw values.
   */
  metric?: 'kernel' | 'rank' | 'value';
  permutations?: number;
  seed?: number;
}

export interface ConfirmationOptions {
  /** Points after a change point that must exist (on top of minSegment) before it is reported. */
  confirmations?: number;
  /** Changes smaller than this (Hodges-Lehmann shift relative to the median before) are not reported. */
  minRelativeChange?: number;
  /**
   * Mann-Whitney p-value threshold of the whole segment before against the whole segment after: the
   * later points must confirm the new level by rank, so a spike or a short run of slow-mode points
   * cannot.
   */
  confirmationAlpha?: number;
}

export interface SegmentSummary {
  /** First index of the segment (inclusive). */
  start: number;
  /** One past the last index of the segment. */
  end: number;
  mean: number;
  median: number;
}

export interface ChangePoint {
  /** Index of the first point at the new level. */
  index: number;
  /** The segment before, from the previous reported change point (or 0) to index. */
  before: SegmentSummary;
  /** The segment after, from index to the next reported change point (or the series end). */
  after: SegmentSummary;
  /**
   * Magnitude: Hodges-Lehmann shift (median of all after-minus-before differences) / before.median;
   * positive means the values went up (slower, for a latency).
   */
  relativeChange: number;
  /** (after.mean - before.mean) / before.mean, for comparison; not robust to spikes or bimodality. */
  meanRelativeChange: number;
  /** p-value of the split by the significance test below. */
  pValue: number;
  significance: ChangePointSignificance;
  /** Mann-Whitney p-value of before against after (the confirmation); NaN from raw eDivisive. */
  confirmationPValue: number;
}

export interface GatePolicy {
  /**
   * Family-wise false-positive rate of the whole sequential procedure: split evenly (Bonferroni)
   * across the planned looks, so looking after every batch of rounds does not inflate it.
   */
  alpha?: number;
  /** Smallest relative change that counts, whatever the noise. */
  minEffect?: number;
  /** k in threshold = max(minEffect, k x noise). */
  noiseMultiplier?: number;
  /** Rounds per side before the first look. */
  minRounds?: number;
  /** Rounds per side at which the gate stops with UNKNOWN if still undecided. */
  maxRounds?: number;
  /** Rounds per side added after an undecided look. */
  roundStep?: number;
  resamples?: number;
  seed?: number;
}

export type GateNoiseSource = 'history' | 'rounds' | 'none';

export interface GateStep {
  comparison: LatencyComparison;
  /** Rounds per side the caller should run before calling again; 0 when final. */
  roundsToAdd: number;
  final: boolean;
  roundsPerSide: number;
  /** The per-look significance level actually used (policy alpha / planned looks). */
  alphaPerLook: number;
  noiseUsed: number;
  noiseSource: GateNoiseSource;
}

export type ThresholdVerdict = 'SAME' | 'REGRESSED' | 'IMPROVED';

export interface ThresholdOptions {
  /** Largest tolerated relative rise (for example 0.01 for +1 %); default 0. */
  maxIncrease?: number;
  /** Largest tolerated relative fall; default 0. */
  maxDecrease?: number;
  /** true for size, peak memory, latency; false for fidelity or throughput. */
  higherIsWorse: boolean;
}

export interface ThresholdComparison {
  verdict: ThresholdVerdict;
  /** (head - base) / |base|; Infinity or -Infinity when base is 0 and head is not. */
  relativeChange: number;
  /** The tolerance the change was held against, on the side it moved to. */
  threshold: number;
  reason: string;
}
