import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bimodalityCoefficient, isBimodal } from './bimodality.util.js';
import { compareLatency } from './compare-latency.util.js';
import { createGaussian, createPrng } from './prng.util.js';

function roundMedians(seed: number, count: number, level: number, cv: number): number[] {
  const gauss = createGaussian(createPrng(seed));
  return Array.from({ length: count }, () => level * (1 + cv * gauss()));
}

await test('the same data is SAME', () => {
  const base = roundMedians(1, 10, 10, 0.005);
  const r = compareLatency(base, [...base]);
  assert.equal(r.verdict, 'SAME', r.reason);
  assert.equal(r.relativeChange, 0);
  assert.ok(r.pValue >= 0.01);
});

await test('two draws from the same distribution are SAME', () => {
  const r = compareLatency(roundMedians(2, 10, 10, 0.005), roundMedians(3, 10, 10, 0.005));
  assert.equal(r.verdict, 'SAME', r.reason);
});

await test('a clear 10 % slowdown with low noise is REGRESSED with a CI excluding zero', () => {
  const r = compareLatency(roundMedians(4, 10, 10, 0.005), roundMedians(5, 10, 11, 0.005));
  assert.equal(r.verdict, 'REGRESSED', r.reason);
  assert.ok(r.pValue < 0.01);
  assert.ok(r.ci95[0] > 0, `CI ${r.ci95.join('..')}`);
  assert.ok(Math.abs(r.relativeChange - 0.1) < 0.02);
});

await test('a clear speed-up is IMPROVED', () => {
  const r = compareLatency(roundMedians(6, 10, 10, 0.005), roundMedians(7, 10, 9, 0.005));
  assert.equal(r.verdict, 'IMPROVED', r.reason);
  assert.ok(r.ci95[1] < 0);
});

await test('a significant change measured precisely below the noise-scaled threshold is SAME, not REGRESSED', () => {
  const r = compareLatency(roundMedians(8, 10, 10, 0.002), roundMedians(9, 10, 10.3, 0.002), { noise: 0.02 });
  assert.equal(r.threshold, 0.04);
  assert.ok(r.pValue < 0.01);
  assert.equal(r.verdict, 'SAME', r.reason);
  assert.match(r.reason, /but 90 % CI/);
});

await test('a change whose CI reaches the threshold is UNKNOWN', () => {
  const r = compareLatency(roundMedians(8, 6, 10, 0.03), roundMedians(9, 6, 10.2, 0.03));
  assert.equal(r.verdict, 'UNKNOWN', r.reason);
});

await test('too few rounds is UNKNOWN', () => {
  assert.equal(compareLatency([1, 2, 3], [1, 2, 3]).verdict, 'UNKNOWN');
});

await test('a two-mode sample is flagged bimodal; a unimodal one is not', () => {
  const random = createPrng(11);
  const gauss = createGaussian(random);
  const twoModes = Array.from({ length: 60 }, () => (random() < 0.5 ? 10 : 13) + 0.2 * gauss());
  const oneMode = Array.from({ length: 60 }, () => 10 + 0.2 * gauss());
  assert.ok(bimodalityCoefficient(twoModes) > 5 / 9);
  assert.equal(isBimodal(twoModes), true);
  assert.equal(isBimodal(oneMode), false);
  assert.equal(isBimodal([1, 9, 1, 9]), false); // too few values to call a shape
  assert.equal(isBimodal(Array.from({ length: 20 }, () => 5)), false);
});

await test('bimodal rounds are flagged in the comparison and still judged by rank tests', () => {
  const random = createPrng(12);
  const gauss = createGaussian(random);
  const rounds = (level: number): number[] =>
    Array.from({ length: 12 }, (_, i) => level * ((i % 2 === 0 ? 1 : 1.2) + 0.003 * gauss()));
  const same = compareLatency(rounds(10), rounds(10));
  assert.equal(same.bimodal, true);
  assert.notEqual(same.verdict, 'REGRESSED');
  const slower = compareLatency(rounds(10), rounds(12));
  assert.equal(slower.bimodal, true);
  assert.equal(slower.verdict, 'REGRESSED', slower.reason);
  assert.match(slower.reason, /bimodal/);
});
