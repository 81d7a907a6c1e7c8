import { compareLatency } from './compare-latency.util.js';
import { relativeNoise } from './descriptive.util.js';
import type {
  GateNoiseSource,
  GatePolicy,
  GateStep,
  ThresholdComparison,
  ThresholdOptions,
} from './verdicts.types.js';

export { relativeNoise };

/**
 * Defaults, each measured with scripts/validate-verdicts.ts:
 * - alpha 0.01 for the WHOLE sequence (issue 5's level), Bonferroni-split over the planned looks
 *   (6, 10, 14, 18, 20 rounds: 0.002 per look), so looking after every batch does not inflate it;
 * - minEffect 2 % and k = 2: a change must exceed twice the noise of one round (or one night), so a
 *   single unlucky round cannot carry it;
 * - minRounds 6: the fewest at which Kolmogorov-Smirnov can reach 0.002 (complete separation), so a
 *   clear 10 % change stops after 6 + 6 processes;
 * - maxRounds 20, roundStep 4: 20 per side is where a 5 % shift under round-level bimodal noise
 *   (30 % of processes 15 % slower) becomes detectable; 4 per batch keeps looks few (alpha per
 *   look stays usable) while an undecided comparison still stops as soon as it can;
 * - resamples 2000: percentile CI bounds stable to about 0.1 % of latency at these sample sizes.
 */
export const DEFAULT_GATE_POLICY: Readonly<Required<GatePolicy>> = Object.freeze({
  alpha: 0.01,
  minEffect: 0.02,
  noiseMultiplier: 2,
  minRounds: 6,
  maxRounds: 20,
  roundStep: 4,
  resamples: 2000,
  seed: 1,
});

function resolvePolicy(policy: GatePolicy): Required<GatePolicy> {
  const p = { ...DEFAULT_GATE_POLICY, ...policy };
  const positiveInt = (v: number): boolean => Number.isSafeInteger(v) && v > 0;
  if (!(p.alpha > 0 && p.alpha < 1)) {
    throw new RangeError('alpha must lie in (0, 1)');
  }
  if (!(p.minEffect >= 0) || !(p.noiseMultiplier >= 0)) {
    throw new RangeError('minEffect and noiseMultiplier must be >= 0');
  }
  if (!positiveInt(p.minRounds) || !positiveInt(p.roundStep) || !positiveInt(p.resamples)) {
    throw new RangeError('minRounds, roundStep and resamples must be positive integers');
  }
  if (!Number.isSafeInteger(p.maxRounds) || p.maxRounds < p.minRounds) {
    throw new RangeError('maxRounds must be an integer >= minRounds');
  }
  return p;
}

/** Rounds per side at which the gate looks when the caller follows roundsToAdd. */
export function plannedLooks(policy: GatePolicy = {}): number[] {
  const { minRounds, maxRounds, roundStep } = resolvePolicy(policy);
  const looks: number[] = [];
  for (let n = minRounds; n < maxRounds; n += roundStep) {
    looks.push(n);
  }
  looks.push(maxRounds);
  return looks;
}

/**
 * One look of the sequential A/B gate; the coordinator calls it after each batch of interleaved
 * rounds. base/head are the round medians so far (same length). historicalNoise is relativeNoise of
 * the series' nightly history when there are >= 5 points, else undefined and the noise of this
 * gate's own base rounds is used.
 * The decision at each look is compareLatency at alpha / (number of planned looks): Bonferroni
 * across looks holds the false-positive rate of the whole procedure at alpha whatever the stopping
 * path (SAME stops only shrink it). Only rank tests decide (bimodal rounds are flagged, never put
 * through t or z tests).
 * Returns final=true with the verdict when decided or at maxRounds (UNKNOWN then); otherwise
 * roundsToAdd > 0.
 */
export function gateStep(
  base: readonly number[],
  head: readonly number[],
  historicalNoise: number | undefined,
  policy: GatePolicy = {},
): GateStep {
  const p = resolvePolicy(policy);
  if (base.length !== head.length) {
    throw new RangeError(`base and head need the same number of rounds (${base.length} != ${head.length})`);
  }
  if (historicalNoise !== undefined && !(Number.isFinite(historicalNoise) && historicalNoise >= 0)) {
    throw new RangeError('historicalNoise must be a finite number >= 0 or undefined');
  }
  const n = base.length;
  const alphaPerLook = p.alpha / plannedLooks(p).length;
  let noiseUsed = 0;
  let noiseSource: GateNoiseSource = 'none';
  if (historicalNoise !== undefined) {
    noiseUsed = historicalNoise;
    noiseSource = 'history';
  } else if (n >= 3) {
    noiseUsed = relativeNoise(base);
    noiseSource = 'rounds';
  }
  const comparison = compareLatency(base, head, {
    alpha: alphaPerLook,
    minEffect: p.minEffect,
    noise: noiseUsed,
    noiseMultiplier: p.noiseMultiplier,
    resamples: p.resamples,
    seed: p.seed,
  });
  const step = { comparison, roundsPerSide: n, alphaPerLook, noiseUsed, noiseSource };
  if (n < p.minRounds) {
    return { ...step, roundsToAdd: p.minRounds - n, final: false };
  }
  if (comparison.verdict !== 'UNKNOWN') {
    return { ...step, roundsToAdd: 0, final: true };
  }
  if (n >= p.maxRounds) {
    const reason = `${comparison.reason.replace(/; add rounds/, '')}; cap of ${p.maxRounds} rounds reached`;
    return { ...step, comparison: { ...comparison, reason }, roundsToAdd: 0, final: true };
  }
  return { ...step, roundsToAdd: Math.min(p.roundStep, p.maxRounds - n), final: false };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

/**
 * Fixed-threshold verdict for deterministic metrics (model size, peak memory, fidelity): these do
 * not vary run to run, so statistics add nothing; a change beyond the tolerance is the verdict.
 */
export function compareThreshold(
  base: number,
  head: number,
  { maxIncrease = 0, maxDecrease = 0, higherIsWorse }: ThresholdOptions,
): ThresholdComparison {
  if (!Number.isFinite(base) || !Number.isFinite(head)) {
    throw new RangeError('base and head must be finite');
  }
  if (!(maxIncrease >= 0) || !(maxDecrease >= 0)) {
    throw new RangeError('maxIncrease and maxDecrease must be >= 0');
  }
  const relativeChange =
    base === 0
      ? head === 0
        ? 0
        : Math.sign(head) * Number.POSITIVE_INFINITY
      : (head - base) / Math.abs(base);
  // A hair of slack so a change of exactly the tolerance (1.01 vs 1.00) is not lost to rounding.
  const slack = 1e-12;
  if (relativeChange > maxIncrease + slack) {
    return {
      verdict: higherIsWorse ? 'REGRESSED' : 'IMPROVED',
      relativeChange,
      threshold: maxIncrease,
      reason: `rose ${pct(relativeChange)} > ${pct(maxIncrease)}`,
    };
  }
  if (relativeChange < -maxDecrease - slack) {
    return {
      verdict: higherIsWorse ? 'IMPROVED' : 'REGRESSED',
      relativeChange,
      threshold: maxDecrease,
      reason: `fell ${pct(-relativeChange)} > ${pct(maxDecrease)}`,
    };
  }
  const threshold = relativeChange >= 0 ? maxIncrease : maxDecrease;
  return {
    verdict: 'SAME',
    relativeChange,
    threshold,
    reason: `change ${pct(relativeChange)} within ${pct(threshold)}`,
  };
}
