import { isBimodal } from './bimodality.util.js';
import { bootstrapRelativeChange } from './bootstrap.util.js';
import { median } from './descriptive.util.js';
import { kolmogorovSmirnov, mannWhitneyU } from './rank-tests.util.js';
import type { CompareLatencyOptions, LatencyComparison } from './verdicts.types.js';

/** Below this many round medians per side no rank test can reach alpha 0.01; ask for more rounds. */
export const MIN_ROUNDS_PER_SIDE = 4;

export const DEFAULT_NOISE_MULTIPLIER = 2;
export const DEFAULT_RESAMPLES = 2000;

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

/**
 * A/B verdict on round medians (each round a fresh runner process). Decision, as in issue 5:
 * - p = min(Mann-Whitney U, Kolmogorov-Smirnov) < alpha AND |change| >= max(minEffect, k x noise)
 *   -> REGRESSED (slower) or IMPROVED (faster);
 * - otherwise, the bootstrap 90 % CI inside +-threshold -> SAME, an equivalence test (two one-sided
 *   tests at 5 % each; the 95 % CI is what is reported) (also when significant: a change
 *   measured precisely and smaller than the practical threshold is a SAME, and more rounds would
 *   only confirm it); with bimodal rounds SAME also needs p >= alpha;
 * - anything else -> UNKNOWN, so the caller adds rounds (up to its cap).
 * Only rank tests decide, never t or z tests on the raw values, so bimodal rounds are judged soundly;
 * the bimodal flag is reported so a reader knows why the spread may be wide.
 */
export function compareLatency(
  baseRoundMedians: readonly number[],
  headRoundMedians: readonly number[],
  options: CompareLatencyOptions = {},
): LatencyComparison {
  const {
    alpha = 0.01,
    minEffect = 0.02,
    noise = 0,
    noiseMultiplier = DEFAULT_NOISE_MULTIPLIER,
    resamples = DEFAULT_RESAMPLES,
    seed = 1,
  } = options;
  const threshold = Math.max(minEffect, noiseMultiplier * noise);
  const bimodal = isBimodal(baseRoundMedians) || isBimodal(headRoundMedians);
  const unknown = (reason: string): LatencyComparison => ({
    verdict: 'UNKNOWN',
    relativeChange: Number.NaN,
    ci95: [Number.NaN, Number.NaN],
    pValue: Number.NaN,
    mannWhitneyP: Number.NaN,
    kolmogorovSmirnovP: Number.NaN,
    threshold,
    bimodal,
    reason,
  });
  if (baseRoundMedians.length < MIN_ROUNDS_PER_SIDE || headRoundMedians.length < MIN_ROUNDS_PER_SIDE) {
    return unknown(`need at least ${MIN_ROUNDS_PER_SIDE} round medians per side`);
  }
  if (![...baseRoundMedians, ...headRoundMedians].every((v) => Number.isFinite(v) && v > 0)) {
    return unknown('round medians must be positive finite latencies');
  }
  const baseMedian = median(baseRoundMedians);
  const relativeChange = (median(headRoundMedians) - baseMedian) / baseMedian;
  const { ci95, ci90 } = bootstrapRelativeChange(baseRoundMedians, headRoundMedians, { resamples, seed });
  const mw = mannWhitneyU(headRoundMedians, baseRoundMedians);
  const ks = kolmogorovSmirnov(headRoundMedians, baseRoundMedians);
  const pValue = Math.min(mw.pValue, ks.pValue);
  const common = {
    relativeChange,
    ci95,
    pValue,
    mannWhitneyP: mw.pValue,
    kolmogorovSmirnovP: ks.pValue,
    threshold,
    bimodal,
  };
  const shape = bimodal ? ' (bimodal rounds; rank tests only)' : '';
  if (pValue < alpha && Math.abs(relativeChange) >= threshold) {
    const verdict = relativeChange > 0 ? 'REGRESSED' : 'IMPROVED';
    return {
      verdict,
      ...common,
      reason: `p ${pValue.toPrecision(2)} < ${alpha} and |change| ${pct(Math.abs(relativeChange))} >= ${pct(threshold)}${shape}`,
    };
  }
  // With bimodal rounds the median can sit in either mode and its bootstrap CI is not to be trusted
  // alone, so there the rank tests must agree as well.
  if (ci90[0] > -threshold && ci90[1] < threshold && (pValue >= alpha || !bimodal)) {
    const significance =
      pValue < alpha
        ? `p ${pValue.toPrecision(2)} < ${alpha} but`
        : `p ${pValue.toPrecision(2)} >= ${alpha} and`;
    return {
      verdict: 'SAME',
      ...common,
      reason: `${significance} 90 % CI [${pct(ci90[0])}, ${pct(ci90[1])}] inside +-${pct(threshold)} (equivalence, two one-sided tests at 5 %)${shape}`,
    };
  }
  const why =
    pValue < alpha
      ? `significant (p ${pValue.toPrecision(2)}) but |change| ${pct(Math.abs(relativeChange))} < ${pct(threshold)}`
      : `not significant (p ${pValue.toPrecision(2)}) but 90 % CI [${pct(ci90[0])}, ${pct(ci90[1])}] reaches +-${pct(threshold)}`;
  return { verdict: 'UNKNOWN', ...common, reason: `${why}; add rounds${shape}` };
}
