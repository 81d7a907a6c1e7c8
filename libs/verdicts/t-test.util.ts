// Student-t tail for Welch's test. Local, like the rank tests, so the library stays dependency-free.

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(x) by the Lanczos approximation (g = 7, nine terms): about 15 significant digits. */
export function logGamma(x: number): number {
  if (x < 0.5) {
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < LANCZOS.length; i++) {
    a += (LANCZOS[i] as number) / (z + i);
  }
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz, as in Numerical Recipes). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 3e-14) {
      break;
    }
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) {
    return 0;
  }
  if (x >= 1) {
    return 1;
  }
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(x, a, b)) / a
    : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(|T| >= |t|) for Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) {
    return 0;
  }
  return Math.min(1, incompleteBeta(df / (df + t * t), df / 2, 0.5));
}

export interface WelchTTestResult {
  t: number;
  df: number;
  pValue: number;
}

/**
 * Welch's unequal-variance t-test, two-sided. Used only for the nightly change-point split test (as
 * Apache Otava / Hunter do), never for the A/B gate: on bimodal values its variance is that of the
 * mixture, so it loses power there, and with a handful of values it is not valid at all.
 */
export function welchTTest(
  a: readonly number[] | Float64Array,
  b: readonly number[] | Float64Array,
): WelchTTestResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 < 2 || n2 < 2) {
    return { t: 0, df: Number.NaN, pValue: 1 };
  }
  const moments = (xs: readonly number[] | Float64Array): [number, number] => {
    let sum = 0;
    for (const x of xs) {
      sum += x;
    }
    const m = sum / xs.length;
    let ss = 0;
    for (const x of xs) {
      ss += (x - m) * (x - m);
    }
    return [m, ss / (xs.length - 1)];
  };
  const [m1, v1] = moments(a);
  const [m2, v2] = moments(b);
  const s1 = v1 / n1;
  const s2 = v2 / n2;
  const se2 = s1 + s2;
  if (!(se2 > 1e-300)) {
    // Both sides constant: any difference in level is certain, none is no evidence.
    return m1 === m2 ? { t: 0, df: Number.NaN, pValue: 1 } : { t: Infinity, df: Number.NaN, pValue: 0 };
  }
  const t = (m1 - m2) / Math.sqrt(se2);
  const df = (se2 * se2) / ((s1 * s1) / (n1 - 1) + (s2 * s2) / (n2 - 1));
  return { t, df, pValue: studentTTwoSidedP(t, df) };
}
