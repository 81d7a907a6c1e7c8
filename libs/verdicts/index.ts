export type {
  ChangePoint,
  ChangePointSignificance,
  CompareLatencyOptions,
  ConfirmationOptions,
  EDivisiveOptions,
  GateNoiseSource,
  GatePolicy,
  GateStep,
  KolmogorovSmirnovResult,
  LatencyComparison,
  LatencyVerdict,
  MannWhitneyResult,
  SegmentSummary,
  ThresholdComparison,
  ThresholdOptions,
  ThresholdVerdict,
} from './verdicts.types.js';
export { erfc, kolmogorovQ, kolmogorovSmirnov, mannWhitneyU, normalUpperTail } from './rank-tests.util.js';
export type { WelchTTestResult } from './t-test.util.js';
export { incompleteBeta, logGamma, studentTTwoSidedP, welchTTest } from './t-test.util.js';
export { bootstrapRelativeChange, bootstrapRelativeChangeCi } from './bootstrap.util.js';
export {
  BIMODALITY_THRESHOLD,
  MIN_BIMODALITY_SAMPLES,
  bimodalityCoefficient,
  isBimodal,
} from './bimodality.util.js';
export { DEFAULT_NOISE_MULTIPLIER, MIN_ROUNDS_PER_SIDE, compareLatency } from './compare-latency.util.js';
export { DEFAULT_GATE_POLICY, compareThreshold, gateStep, plannedLooks, relativeNoise } from './gate.util.js';
export type { NewChangePointOptions, NightlyDecisions } from './e-divisive.util.js';
export {
  DEFAULT_SPLIT_ALPHA,
  confirmedChangePoints,
  eDivisive,
  newChangePoints,
  nightlyDecisions,
} from './e-divisive.util.js';
export { createGaussian, createPrng, shuffleInPlace } from './prng.util.js';
export { hodgesLehmannShift, mean, median, seriesNoise, successiveNoise } from './descriptive.util.js';
