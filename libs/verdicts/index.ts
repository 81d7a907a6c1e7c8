export type {
  ChangePoint,
  CompareLatencyOptions,
  ConfirmationOptions,
  EDivisiveOptions,
  KolmogorovSmirnovResult,
  LatencyComparison,
  LatencyVerdict,
  MannWhitneyResult,
  SegmentSummary,
} from './verdicts.types.js';
export { erfc, kolmogorovQ, kolmogorovSmirnov, mannWhitneyU, normalUpperTail } from './rank-tests.util.js';
export { bootstrapRelativeChangeCi } from './bootstrap.util.js';
export {
  BIMODALITY_THRESHOLD,
  MIN_BIMODALITY_SAMPLES,
  bimodalityCoefficient,
  isBimodal,
} from './bimodality.util.js';
export { DEFAULT_NOISE_MULTIPLIER, MIN_ROUNDS_PER_SIDE, compareLatency } from './compare-latency.util.js';
export { confirmedChangePoints, eDivisive } from './e-divisive.util.js';
export { createGaussian, createPrng, shuffleInPlace } from './prng.util.js';
export { mean, median } from './descriptive.util.js';
