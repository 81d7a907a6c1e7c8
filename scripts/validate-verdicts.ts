// Statistical validation of the verdict core on simulated data (not a test: prints rates to judge).
// A/B gate: 10 round medians per side, each the median of 30 samples, plus a per-round offset (a
// fresh runner process lands on a slightly different machine state). Nightly detector: 60 points,
// level shift at point 40. Noise shapes: Gaussian, Student-t with 3 df, and bimodal (each sample
// from a slow mode 15 % above the fast one with probability 0.35).
// Usage: node dist/scripts/validate-verdicts.js [--trials=300]
import { compareLatency, confirmedChangePoints, createGaussian, createPrng } from '#verdicts';

type Noise = 'gaussian' | 'student-t3' | 'bimodal';

const trialsArg = process.argv.find((a) => a.startsWith('--trials='))?.split('=')[1];
const TRIALS = trialsArg === undefined ? 300 : Number(trialsArg);
if (!Number.isSafeInteger(TRIALS) || TRIALS < 1) {
  throw new Error('--trials must be a positive integer');
}
const SHIFTS = [0, 0.02, 0.05, 0.1];
const NOISES: Noise[] = ['gaussian', 'student-t3', 'bimodal'];
const ROUNDS = 10;
const SAMPLES_PER_ROUND = 30;

function noiseSource(kind: Noise, seed: number, scale: number): () => number {
  const random = createPrng(seed);
  const gauss = createGaussian(random);
  switch (kind) {
    case 'gaussian':
      return () => scale * gauss();
    case 'student-t3':
      return () => {
        const a = gauss();
        const b = gauss();
        const c = gauss();
        return (scale * gauss()) / Math.sqrt((a * a + b * b + c * c) / 3);
      };
    case 'bimodal':
      return () => (random() < 0.35 ? 0.15 : 0) + (scale / 2) * gauss();
  }
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function rounds(noise: () => number, roundOffset: () => number, level: number): number[] {
  return Array.from({ length: ROUNDS }, () => {
    const offset = roundOffset();
    return medianOf(Array.from({ length: SAMPLES_PER_ROUND }, () => level * (1 + offset + noise())));
  });
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`.padStart(8);

console.log(`A/B gate: ${ROUNDS} rounds x ${SAMPLES_PER_ROUND} samples per side, ${TRIALS} trials per cell`);
console.log('noise       | shift |  REGRESSED |   IMPROVED |       SAME |    UNKNOWN | bimodal flag');
for (const kind of NOISES) {
  for (const [s, shift] of SHIFTS.entries()) {
    const counts = { REGRESSED: 0, IMPROVED: 0, SAME: 0, UNKNOWN: 0 };
    let bimodal = 0;
    const noise = noiseSource(kind, 1000 * (s + 1) + NOISES.indexOf(kind), 0.03);
    const offsets = noiseSource('gaussian', 7 + s + 31 * NOISES.indexOf(kind), 0.01);
    for (let t = 0; t < TRIALS; t++) {
      const r = compareLatency(rounds(noise, offsets, 10), rounds(noise, offsets, 10 * (1 + shift)), {
        resamples: 1000,
        seed: t + 1,
      });
      counts[r.verdict]++;
      bimodal += r.bimodal ? 1 : 0;
    }
    console.log(
      `${kind.padEnd(11)} | ${`${shift * 100} %`.padStart(5)} | ${pct(counts.REGRESSED / TRIALS)}   | ${pct(counts.IMPROVED / TRIALS)}   | ${pct(counts.SAME / TRIALS)}   | ${pct(counts.UNKNOWN / TRIALS)}   | ${pct(bimodal / TRIALS)}`,
    );
  }
}

const CP_TRIALS = Math.max(1, Math.round(TRIALS / 3));
console.log('');
console.log(
  `Nightly change points: 60 points, shift at 40, relative noise 1 %, ${CP_TRIALS} series per cell`,
);
console.log('(detected = a confirmed change point within 3 of index 40; false = any other confirmed one)');
console.log('noise       | shift | detected | series with a false change point');
for (const kind of NOISES) {
  for (const [s, shift] of SHIFTS.entries()) {
    const noise = noiseSource(kind, 5000 + 97 * s + NOISES.indexOf(kind), 0.01);
    let detected = 0;
    let falseAlarm = 0;
    for (let t = 0; t < CP_TRIALS; t++) {
      const series = Array.from({ length: 60 }, (_, i) => 100 * (i < 40 ? 1 : 1 + shift) * (1 + noise()));
      const cps = confirmedChangePoints(series, { seed: t + 1 }, { minRelativeChange: 0.02 });
      detected += cps.some((cp) => Math.abs(cp.index - 40) <= 3) ? 1 : 0;
      falseAlarm += cps.some((cp) => shift === 0 || Math.abs(cp.index - 40) > 3) ? 1 : 0;
    }
    console.log(
      `${kind.padEnd(11)} | ${`${shift * 100} %`.padStart(5)} | ${shift === 0 ? '     n/a' : pct(detected / CP_TRIALS)} | ${pct(falseAlarm / CP_TRIALS)}`,
    );
  }
}
