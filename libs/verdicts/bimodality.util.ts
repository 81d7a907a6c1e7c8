/** Below this many values the sample skewness and kurtosis are too noisy to call a shape. */
export const MIN_BIMODALITY_SAMPLES = 10;

/** 5/9: the coefficient of a uniform distribution; bimodal mixtures lie above it. */
export const BIMODALITY_THRESHOLD = 5 / 9;

/**
 * Sarle's bimodality coefficient b = (g^2 + 1) / (G2 + 3 (n-1)^2 / ((n-2)(n-3))) with the sample
 * skewness g and bias-corrected excess kurtosis G2. Chosen over a dip test because it needs no
 * simulated null table and no dependency; over a gap heuristic because it needs no scale. It is only
 * a flag: the verdict itself uses rank tests, which stay valid whatever the shape.
 * Returns NaN when it cannot be computed (too few values or no spread).
 */
export function bimodalityCoefficient(samples: readonly number[]): number {
  const n = samples.length;
  if (n < Math.max(4, MIN_BIMODALITY_SAMPLES)) {
    return Number.NaN;
  }
  let sum = 0;
  for (const x of samples) {
    sum += x;
  }
  const m = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const x of samples) {
    const d = x - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  // Relative to the mean's magnitude, so a constant sample with rounding noise is not judged.
  if (m2 <= 1e-24 * Math.max(1, m * m)) {
    return Number.NaN;
  }
  const g1 = m3 / Math.pow(m2, 1.5);
  const g2 = m4 / (m2 * m2) - 3;
  const skew = (Math.sqrt(n * (n - 1)) / (n - 2)) * g1;
  const kurt = ((n - 1) / ((n - 2) * (n - 3))) * ((n + 1) * g2 + 6);
  return (skew * skew + 1) / (kurt + (3 * (n - 1) * (n - 1)) / ((n - 2) * (n - 3)));
}

export function isBimodal(samples: readonly number[]): boolean {
  const b = bimodalityCoefficient(samples);
  return Number.isFinite(b) && b > BIMODALITY_THRESHOLD;
}
