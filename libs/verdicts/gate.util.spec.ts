import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_GATE_POLICY, compareThreshold, gateStep, plannedLooks, relativeNoise } from './gate.util.js';
import { createGaussian, createPrng } from './prng.util.js';
import { seriesNoise, successiveNoise } from './descriptive.util.js';

function rounds(seed: number, count: number, level: number, cv: number): number[] {
  const gauss = createGaussian(createPrng(seed));
  return Array.from({ length: count }, () => level * (1 + cv * gauss()));
}

await test('relativeNoise is 1.4826 MAD / median, 0 below three values', () => {
  assert.equal(relativeNoise([]), 0);
  assert.equal(relativeNoise([1, 2]), 0);
  // median 10, deviations 1, 0, 1 -> MAD 1.
  assert.ok(Math.abs(relativeNoise([9, 10, 11]) - 0.14826) < 1e-12);
  assert.ok(Math.abs(relativeNoise(rounds(1, 2000, 100, 0.02)) - 0.02) < 0.002);
});

await test('planned looks and the Bonferroni alpha per look', () => {
  assert.deepEqual(plannedLooks(), [6, 10, 14, 18, 20]);
  assert.deepEqual(plannedLooks({ minRounds: 4, maxRounds: 8, roundStep: 4 }), [4, 8]);
  const step = gateStep(rounds(2, 6, 10, 0.01), rounds(3, 6, 10, 0.01), undefined);
  assert.ok(Math.abs(step.alphaPerLook - DEFAULT_GATE_POLICY.alpha / 5) < 1e-15);
});

await test('fewer rounds than minRounds asks for the rest', () => {
  const step = gateStep([10, 10.1], [10, 10.2], undefined);
  assert.equal(step.final, false);
  assert.equal(step.roundsToAdd, 4);
  assert.equal(step.noiseSource, 'none');
});

await test('a clear 10 % regression stops at the first look', () => {
  const step = gateStep(rounds(4, 6, 10, 0.01), rounds(5, 6, 11, 0.01), undefined);
  assert.equal(step.comparison.verdict, 'REGRESSED', step.comparison.reason);
  assert.equal(step.final, true);
  assert.equal(step.roundsToAdd, 0);
  assert.equal(step.noiseSource, 'rounds');
});

await test('a clear SAME stops at the first look', () => {
  const step = gateStep(rounds(6, 6, 10, 0.003), rounds(7, 6, 10, 0.003), undefined);
  assert.equal(step.comparison.verdict, 'SAME', step.comparison.reason);
  assert.equal(step.final, true);
});

await test('an unclear comparison adds a batch of rounds, and is UNKNOWN at the cap', () => {
  const base = rounds(8, 20, 10, 0.03);
  const head = rounds(9, 20, 10.25, 0.03);
  const early = gateStep(base.slice(0, 6), head.slice(0, 6), 0.012);
  assert.equal(early.comparison.verdict, 'UNKNOWN', early.comparison.reason);
  assert.equal(early.final, false);
  assert.equal(early.roundsToAdd, 4);
  const nearCap = gateStep(base.slice(0, 18), head.slice(0, 18), 0.012);
  assert.equal(nearCap.roundsToAdd, 2);
  const atCap = gateStep(base, head, 0.012);
  assert.equal(atCap.comparison.verdict, 'UNKNOWN', atCap.comparison.reason);
  assert.equal(atCap.final, true);
  assert.equal(atCap.roundsToAdd, 0);
  assert.match(atCap.comparison.reason, /cap of 20 rounds/);
});

await test('historical noise, when given, sets the threshold instead of the rounds', () => {
  const base = rounds(10, 6, 10, 0.003);
  const head = rounds(11, 6, 10.6, 0.003);
  assert.equal(gateStep(base, head, undefined).comparison.verdict, 'REGRESSED');
  const noisy = gateStep(base, head, 0.05);
  assert.equal(noisy.noiseSource, 'history');
  assert.equal(noisy.noiseUsed, 0.05);
  assert.ok(Math.abs(noisy.comparison.threshold - 0.1) < 1e-12);
  assert.notEqual(noisy.comparison.verdict, 'REGRESSED', noisy.comparison.reason);
});

await test('gateStep rejects mismatched sides and bad noise', () => {
  assert.throws(() => gateStep([1, 2, 3], [1, 2], undefined), RangeError);
  assert.throws(() => gateStep([1, 2, 3], [1, 2, 3], Number.NaN), RangeError);
  assert.throws(() => gateStep([1, 2, 3], [1, 2, 3], undefined, { maxRounds: 2 }), RangeError);
});

await test('compareThreshold: fixed tolerances on the side the value moved, by direction of worse', () => {
  assert.equal(compareThreshold(100, 100, { higherIsWorse: true }).verdict, 'SAME');
  assert.equal(compareThreshold(100, 101, { higherIsWorse: true }).verdict, 'REGRESSED');
  assert.equal(compareThreshold(100, 101, { maxIncrease: 0.01, higherIsWorse: true }).verdict, 'SAME');
  assert.equal(compareThreshold(100, 101.5, { maxIncrease: 0.01, higherIsWorse: true }).verdict, 'REGRESSED');
  assert.equal(compareThreshold(100, 90, { maxIncrease: 0.01, higherIsWorse: true }).verdict, 'IMPROVED');
  // Fidelity: higher is better, a drop beyond the tolerance regresses.
  const drop = compareThreshold(0.9, 0.88, { maxDecrease: 0.01, higherIsWorse: false });
  assert.equal(drop.verdict, 'REGRESSED');
  assert.equal(drop.threshold, 0.01);
  assert.ok(Math.abs(drop.relativeChange + 0.02 / 0.9) < 1e-12);
  assert.equal(compareThreshold(0.9, 0.95, { higherIsWorse: false }).verdict, 'IMPROVED');
  assert.equal(compareThreshold(0, 5, { higherIsWorse: true }).relativeChange, Number.POSITIVE_INFINITY);
  assert.throws(() => compareThreshold(1, Number.NaN, { higherIsWorse: true }), RangeError);
});

await test('successiveNoise ignores a level shift that relativeNoise counts as noise', () => {
  const gauss = createGaussian(createPrng(5));
  const series = Array.from({ length: 20 }, (_, i) => (i < 10 ? 10 : 30) * (1 + 0.01 * gauss()));
  assert.ok(successiveNoise(series) < 0.03, `successive ${successiveNoise(series)}`);
  assert.ok(relativeNoise(series) > 0.5, `relative ${relativeNoise(series)}`);
  assert.equal(successiveNoise([1, 2]), 0);
});

await test('seriesNoise: the smaller of the two estimates, small for bimodal nights and across a level shift', () => {
  const random = createPrng(9);
  const bimodal = Array.from(
    { length: 20 },
    () => (random() < 0.3 ? 1.15 : 1) * (1 + 0.005 * (random() - 0.5)),
  );
  assert.equal(seriesNoise(bimodal), Math.min(relativeNoise(bimodal), successiveNoise(bimodal)));
  assert.ok(seriesNoise(bimodal) < 0.05, 'a 15 % gap between modes is not 15 % noise');
  const shifted = Array.from({ length: 20 }, (_, i) => (i < 10 ? 1 : 2) * (1 + 0.005 * (random() - 0.5)));
  assert.ok(seriesNoise(shifted) < 0.02, `${seriesNoise(shifted)}`);
});
