// Statistical validation of the verdict core on simulated data (not a test: prints rates to judge).
//
// A/B gate: the whole sequential procedure (gateStep with DEFAULT_GATE_POLICY, rounds added as it
// asks). Each round is a fresh runner process: a process offset ~ N(0, 1 %) (machine state differs
// per process) times 30 raw samples from the noise model, and the round median is what the gate
// sees. That gives round medians with about 1.2 % relative noise (printed per model below), the
// 1-2 % seen on agents. historicalNoise is seriesNoise of a simulated 20-night history from the
// same model (--noise-source=rounds uses the gate's own base rounds instead, as for a new series).
// Noise models (per raw sample unless stated):
//   gaussian        3 % N(0, 1)
//   student-t3      3 % x Student-t with 3 degrees of freedom
//   bimodal-samples 70/30 mixture, the slow mode 15 % slower, 1.5 % N(0, 1) within a mode
//   bimodal-rounds  70/30 per PROCESS: 30 % of rounds run wholly 15 % slower (3 % N(0, 1) samples);
//                   the round medians themselves are bimodal, the hard case
// Nightly detector: series of 60 nightly values with the shift at index 40; each value the run's
// level x (1 + noise): gaussian 1 % N(0, 1); student-t3 1 % x t3; bimodal 30 % of nights 15 %
// slower, 1 % N(0, 1) within a mode. Spike row: no shift, one value 30 % high at a random index.
//
// Usage: node dist/scripts/validate-verdicts.js [--trials=N] [--series=N] [--noise-source=history|rounds]
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_GATE_POLICY,
  confirmedChangePoints,
  createGaussian,
  createPrng,
  gateStep,
  median,
  plannedLooks,
  relativeNoise,
  seriesNoise,
} from '#verdicts';
import type { ChangePointSignificance, GateStep } from '#verdicts';
import { intArg } from './script-args.js';

type GateNoise = 'gaussian' | 'student-t3' | 'bimodal-samples' | 'bimodal-rounds';
type NightlyNoise = 'gaussian' | 'student-t3' | 'bimodal';

const GATE_TRIALS = intArg('trials', 800);
const NIGHTLY_SERIES = intArg('series', 300);
const NOISE_SOURCE = process.argv.includes('--noise-source=rounds') ? 'rounds' : 'history';
const SHIFTS = [0, 0.02, 0.05, 0.1];
const SAMPLES_PER_ROUND = 30;
// As the coordinator: the newest 20 nightly points, noise from their successive differences.
const HISTORY_NIGHTS = 20;

const pct = (x: number, width = 7): string => `${(x * 100).toFixed(1)} %`.padStart(width);

/** Upper end of the 95 % Wilson interval of a rate: how far a measured 0 % could really be from 0. */
function wilsonUpper(hits: number, n: number): number {
  const z = 1.96;
  const p = hits / n;
  const centre = p + (z * z) / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return Math.min(1, (centre + spread) / (1 + (z * z) / n));
}

function studentT3(gauss: () => number): number {
  const a = gauss();
  const b = gauss();
  const c = gauss();
  return gauss() / Math.sqrt((a * a + b * b + c * c) / 3);
}

/** One round's median at `level`: a fresh process (offset, maybe the slow mode) and its raw samples. */
function roundMedian(kind: GateNoise, level: number, random: () => number, gauss: () => number): number {
  const offset = 0.01 * gauss();
  const slowProcess = kind === 'bimodal-rounds' && random() < 0.3 ? 0.15 : 0;
  const samples = new Float64Array(SAMPLES_PER_ROUND);
  for (let i = 0; i < SAMPLES_PER_ROUND; i++) {
    let noise: number;
    switch (kind) {
      case 'gaussian':
      case 'bimodal-rounds':
        noise = 0.03 * gauss();
        break;
      case 'student-t3':
        noise = 0.03 * studentT3(gauss);
        break;
      case 'bimodal-samples':
        noise = (random() < 0.3 ? 0.15 : 0) + 0.015 * gauss();
        break;
    }
    samples[i] = level * (1 + offset + slowProcess) * (1 + noise);
  }
  return median(samples);
}

interface GateCell {
  counts: Record<GateStep['comparison']['verdict'], number>;
  rounds: number;
  bimodal: number;
}

function runGate(kind: GateNoise, shift: number, trials: number, seed: number): GateCell {
  const random = createPrng(seed);
  const gauss = createGaussian(random);
  const cell: GateCell = {
    counts: { REGRESSED: 0, IMPROVED: 0, SAME: 0, UNKNOWN: 0 },
    rounds: 0,
    bimodal: 0,
  };
  for (let t = 0; t < trials; t++) {
    const history = Array.from({ length: HISTORY_NIGHTS }, () => roundMedian(kind, 10, random, gauss));
    const historicalNoise = NOISE_SOURCE === 'history' ? seriesNoise(history) : undefined;
    const base: number[] = [];
    const head: number[] = [];
    let toAdd = DEFAULT_GATE_POLICY.minRounds;
    let step: GateStep | undefined;
    while (toAdd > 0) {
      // Interleaved: base, head, base, head... (independent processes, so order only matters for drift).
      for (let r = 0; r < toAdd; r++) {
        base.push(roundMedian(kind, 10, random, gauss));
        head.push(roundMedian(kind, 10 * (1 + shift), random, gauss));
      }
      step = gateStep(base, head, historicalNoise);
      toAdd = step.final ? 0 : step.roundsToAdd;
    }
    const last = step as GateStep;
    cell.counts[last.comparison.verdict]++;
    cell.rounds += last.roundsPerSide;
    cell.bimodal += last.comparison.bimodal ? 1 : 0;
  }
  return cell;
}

const started = performance.now();
const gateNoises: GateNoise[] = ['gaussian', 'student-t3', 'bimodal-samples', 'bimodal-rounds'];
console.log(
  `A/B gate, whole sequential procedure, DEFAULT_GATE_POLICY ${JSON.stringify(DEFAULT_GATE_POLICY)}`,
);
console.log(
  `looks at ${plannedLooks().join(', ')} rounds per side; ${GATE_TRIALS} comparisons per row; threshold noise from ${NOISE_SOURCE}`,
);
{
  const random = createPrng(99);
  const gauss = createGaussian(random);
  const spread = gateNoises.map((kind) => {
    const rounds = Array.from({ length: 400 }, () => roundMedian(kind, 10, random, gauss));
    return `${kind} ${(relativeNoise(rounds) * 100).toFixed(2)} %`;
  });
  console.log(`relative noise of one round median (1.4826 MAD / median): ${spread.join(', ')}`);
}
console.log(
  'FPR = REGRESSED or IMPROVED at shift 0 (95 % upper bound in brackets); aims: FPR <= 1 %, REGRESSED >= 95 % at 5 %',
);
console.log(
  'noise           | shift | REGRESSED |    SAME | UNKNOWN | IMPROVED | rounds | bimodal flag | FPR              | aim',
);
for (const [k, kind] of gateNoises.entries()) {
  for (const [s, shift] of SHIFTS.entries()) {
    const cell = runGate(kind, shift, GATE_TRIALS, 1000 * (k + 1) + s);
    const rate = (v: number): number => v / GATE_TRIALS;
    const falseHits = cell.counts.REGRESSED + cell.counts.IMPROVED;
    const fpr =
      shift === 0
        ? `${pct(rate(falseHits))} (${pct(wilsonUpper(falseHits, GATE_TRIALS), 0)})`.padEnd(16)
        : '-'.padEnd(16);
    const aim =
      shift === 0
        ? rate(falseHits) <= 0.01
          ? 'PASS'
          : 'MISS'
        : shift >= 0.05
          ? rate(cell.counts.REGRESSED) >= 0.95
            ? 'PASS'
            : 'MISS'
          : '-';
    console.log(
      [
        kind.padEnd(15),
        `${shift * 100} %`.padStart(5),
        pct(rate(cell.counts.REGRESSED), 9),
        pct(rate(cell.counts.SAME)),
        pct(rate(cell.counts.UNKNOWN)),
        pct(rate(cell.counts.IMPROVED), 8),
        (cell.rounds / GATE_TRIALS).toFixed(1).padStart(6),
        pct(rate(cell.bimodal), 12),
        fpr,
        aim,
      ].join(' | '),
    );
  }
}
const gateSeconds = (performance.now() - started) / 1000;

// ---- nightly change points ----
const nightlyNoises: NightlyNoise[] = ['gaussian', 'student-t3', 'bimodal'];
const LENGTH = 60;
const AT = 40;

function nightlySeries(
  kind: NightlyNoise,
  shift: number,
  random: () => number,
  gauss: () => number,
): number[] {
  return Array.from({ length: LENGTH }, (_, i) => {
    const level = 100 * (i < AT ? 1 : 1 + shift);
    switch (kind) {
      case 'gaussian':
        return level * (1 + 0.01 * gauss());
      case 'student-t3':
        return level * (1 + 0.01 * studentT3(gauss));
      case 'bimodal':
        return level * (1 + (random() < 0.3 ? 0.15 : 0) + 0.01 * gauss());
    }
  });
}

interface NightlyCell {
  /** Shift rows: a change point within +-2 of AT in the right direction. No-shift rows: any. */
  hits: number;
  /** Series with a change point anywhere else. */
  other: number;
  ms: number;
}

function runNightly(
  kind: NightlyNoise,
  shift: number,
  spike: boolean,
  significance: ChangePointSignificance,
  seed: number,
): NightlyCell {
  const random = createPrng(seed);
  const gauss = createGaussian(random);
  const cell: NightlyCell = { hits: 0, other: 0, ms: 0 };
  for (let t = 0; t < NIGHTLY_SERIES; t++) {
    const series = nightlySeries(kind, shift, random, gauss);
    if (spike) {
      const at = Math.floor(random() * LENGTH);
      series[at] = (series[at] as number) * 1.3;
    }
    const t0 = performance.now();
    const cps = confirmedChangePoints(series, { significance, seed: t + 1 });
    cell.ms += performance.now() - t0;
    if (shift === 0) {
      cell.hits += cps.length > 0 ? 1 : 0;
      continue;
    }
    const near = (index: number): boolean => Math.abs(index - AT) <= 2;
    cell.hits += cps.some((cp) => near(cp.index) && cp.relativeChange > 0) ? 1 : 0;
    cell.other += cps.some((cp) => !near(cp.index)) ? 1 : 0;
  }
  return cell;
}

const nightlyStarted = performance.now();
console.log('');
console.log(
  `Nightly change points: confirmedChangePoints defaults (minSegment 5, kernel energy, 199 permutations or Welch t), ${LENGTH} points, shift at ${AT}, ${NIGHTLY_SERIES} series per row`,
);
console.log(
  'shift rows: detected = a change point within +-2 of 40 in the right direction; elsewhere = series with any other change point',
);
console.log(
  'no-shift rows: % of series with any change point (false series); aims: <= 1 %, detected >= 95 % at 5 %',
);
console.log(
  'noise       | shift     | permutation: detected | elsewhere | aim  | ttest: detected | elsewhere | aim',
);
const permutationMs: number[] = [];
for (const [k, kind] of nightlyNoises.entries()) {
  const rows: Array<[string, number, boolean]> = [
    ...SHIFTS.map((s): [string, number, boolean] => [`${s * 100} %`, s, false]),
    ['spike 30%', 0, true],
  ];
  for (const [r, [label, shift, spike]] of rows.entries()) {
    const cells = (['permutation', 'ttest'] as const).map((sig) =>
      runNightly(kind, shift, spike, sig, 7000 + 100 * k + 10 * r + (sig === 'ttest' ? 1 : 0)),
    );
    permutationMs.push((cells[0] as NightlyCell).ms / NIGHTLY_SERIES);
    const columns = cells.map((cell) => {
      const hit = cell.hits / NIGHTLY_SERIES;
      const aim =
        shift === 0 ? (hit <= 0.01 ? 'PASS' : 'MISS') : shift >= 0.05 ? (hit >= 0.95 ? 'PASS' : 'MISS') : '-';
      const other = shift === 0 ? '-'.padStart(9) : pct(cell.other / NIGHTLY_SERIES, 9);
      return `${pct(hit, 8)} ${shift === 0 ? '(false)' : '       '} | ${other} | ${aim.padEnd(4)}`;
    });
    console.log(
      `${kind.padEnd(11)} | ${label.padEnd(9)} | ${' '.repeat(12)}${columns[0]} | ${' '.repeat(6)}${columns[1]}`,
    );
  }
}
const nightlySeconds = (performance.now() - nightlyStarted) / 1000;
const perSeries = permutationMs.reduce((a, b) => a + b, 0) / permutationMs.length;
console.log('');
console.log(
  `time: gate ${gateSeconds.toFixed(1)} s, nightly ${nightlySeconds.toFixed(1)} s; permutation detector ${perSeries.toFixed(1)} ms per 60-point series (199 permutations)`,
);
