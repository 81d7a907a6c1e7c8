import type { KolmogorovSmirnovResult, MannWhitneyResult } from './verdicts.types.js';

/**
 * Complementary error function (Numerical Recipes' erfcc, Chebyshev fit): relative error below
 * 1.2e-7 everywhere, plenty for p-values compared with 0.01.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function assertSamples(a: readonly number[], b: readonly number[]): void {
  if (a.length === 0 || b.length === 0) {
    throw new RangeError('both samples need at least one value');
  }
  if (![...a, ...b].every(Number.isFinite)) {
    throw new RangeError('samples must be finite numbers');
  }
}

/**
 * Two-sided Mann-Whitney U with the normal approximation, tie-corrected variance and continuity
 * correction. A rank test, so it stays valid for bimodal or heavy-tailed timings where t/z tests on
 * the raw values do not.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  assertSamples(a, b);
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  const pooled = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort(
    (x, y) => x.v - y.v,
  );
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && (pooled[j + 1] as { v: number }).v === (pooled[i] as { v: number }).v) {
      j++;
    }
    // Tied values share the mean of the ranks they span (ranks are 1-based).
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) {
      if ((pooled[k] as { first: boolean }).first) {
        rankSumA += rank;
      }
    }
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const meanU = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - (n > 1 ? tieTerm / (n * (n - 1)) : 0));
  if (variance <= 0) {
    // Every value tied: no evidence of any difference.
    return { u, pValue: 1 };
  }
  const z = Math.max(0, Math.abs(u - meanU) - 0.5) / Math.sqrt(variance);
  return { u, pValue: Math.min(1, 2 * normalUpperTail(z)) };
}

/**
 * Kolmogorov's limiting distribution Q(lambda) = 2 sum (-1)^(j-1) exp(-2 j^2 lambda^2); the series
 * converges slowly for tiny lambda, where Q is 1 to many digits anyway.
 */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) {
    return 1;
  }
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = 2 * (j % 2 === 1 ? 1 : -1) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) {
      break;
    }
  }
  return Math.min(1, Math.max(0, sum));
}

/**
 * Two-sample Kolmogorov-Smirnov with the asymptotic distribution and Stephens' small-sample
 * correction of the argument ((sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) D), which keeps it usable at the
 * ten or so round medians a CI gate has. Sensitive to changes in shape that the U test misses, for
 * example one mode of a bimodal timing moving.
 */
export function kolmogorovSmirnov(a: readonly number[], b: readonly number[]): KolmogorovSmirnovResult {
  assertSamples(a, b);
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  const n1 = sa.length;
  const n2 = sb.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 && j < n2) {
    const x = Math.min(sa[i] as number, sb[j] as number);
    // Step past every copy of x on both sides before comparing, so ties do not create fake gaps.
    while (i < n1 && sa[i] === x) {
      i++;
    }
    while (j < n2 && sb[j] === x) {
      j++;
    }
    d = Math.max(d, Math.abs(i / n1 - j / n2));
  }
  const en = Math.sqrt((n1 * n2) / (n1 + n2));
  return { d, pValue: kolmogorovQ((en + 0.12 + 0.11 / en) * d) };
}
