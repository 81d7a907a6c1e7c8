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

export interface EDivisiveOptions {
  /** No segment shorter than this, so a single spike cannot form a segment of its own. */
  minSegment?: number;
  alpha?: number;
  permutations?: number;
  seed?: number;
}

export interface ConfirmationOptions {
  /** Points after a change point that must exist and support the new level. */
  confirmations?: number;
  /** Changes smaller than this (relative to the level before) are not reported. */
  minRelativeChange?: number;
}

export interface SegmentSummary {
  /** First index of the segment (inclusive). */
  start: number;
  /** One past the last index of the segment. */
  end: number;
  mean: number;
}

export interface ChangePoint {
  /** Index of the first point at the new level. */
  index: number;
  before: SegmentSummary;
  after: SegmentSummary;
  /** (after.mean - before.mean) / before.mean. */
  relativeChange: number;
  pValue: number;
}
